import t from 'tap';
import { PageStore, pageSize, sharedCopy, type StoredPage } from '../../engine/cdn/page-store.js';
import { purgeMatcher } from '../../engine/cdn/cache-key.js';
import { headerMapOf } from '../../engine/cdn/headers.js';
import { CdnStats } from '../../engine/cdn/stats.js';

function page(key: string, bytes: number, vary: string[] = [], varyValues: string[] = []): StoredPage {
  return { key, vary, varyValues, status: 200, headers: {}, bodies: { identity: sharedCopy(new Uint8Array(bytes)) }, storedAt: 0, freshUntil: 1, rules: '' };
}

t.test('least recently used pages go first when over the byte bound', async (t) => {
  const size = pageSize(page('h/a', 1000));
  const s = new PageStore(size * 3);
  for (const k of ['h/a', 'h/b', 'h/c']) s.put(page(k, 1000));
  t.ok(s.find('h/a', {}), 'touch a: b is now the oldest');
  s.put(page('h/d', 1000));
  t.same(['h/a', 'h/b', 'h/c', 'h/d'].map((k) => s.find(k, {}) !== undefined), [true, false, true, true]);
  t.equal(s.bytes, size * 3);
  t.equal(s.put(page('h/huge', size * 4)), false, 'a page larger than the whole cache is refused');
  s.resize(size);
  t.equal(s.size, 1, 'shrinking evicts');
  s.flush();
  t.equal(s.bytes, 0);
});

t.test('a changed Vary drops the old variants', async (t) => {
  const s = new PageStore(1 << 20);
  s.put(page('h/v', 10, ['accept-language'], ['de']));
  s.put(page('h/v', 10, ['accept-language'], ['fr']));
  t.equal(s.size, 2);
  s.put(page('h/v', 10, ['cookie'], ['x=1']));
  t.equal(s.size, 1, 'only the new variant');
  t.ok(s.find('h/v', { cookie: 'x=1' }));
  t.equal(s.find('h/v', { 'accept-language': 'de' }), undefined);
  const renewal = { freshUntil: 5, storedAt: 3, ageOnArrival: 0, headers: {} };
  t.equal(s.refresh('h/v', ['nope'], renewal), undefined, 'refreshing a missing variant is a no-op');
  t.equal(s.refresh('h/v', ['x=1'], renewal)?.freshUntil, 5);
});

const purges: Array<[string, boolean, string, boolean]> = [
  ['https://a.example/x', false, 'a.example/x', true],
  ['https://a.example/x', false, 'a.example/x?q=1', false],
  ['https://A.example/x', true, 'a.example/x?q=1', true],
  ['a.example/x', false, 'a.example/x', true],
  ['https://a.example', true, 'a.example/anything', true],
  ['https://a.example', false, 'a.example/', true],
  ['https://a.example', false, 'a.example/x', false],
  ['/x', false, 'b.example/x', true],
  ['/x', true, 'b.example/xy', true],
  ['/x', false, 'b.example/y/x', false],
];
for (const [target, prefix, key, want] of purges) {
  t.equal(purgeMatcher(target, prefix)(key), want, `purge ${target}${prefix ? ' (prefix)' : ''} ${want ? 'drops' : 'keeps'} ${key}`);
}

t.test('header maps and counters', async (t) => {
  t.same(headerMapOf(['Vary', 'Set-Cookie', 'set-cookie', 'SET-COOKIE'], ['a', 'x=1', 'y=2', 'z=3']), { vary: 'a', 'set-cookie': ['x=1', 'y=2', 'z=3'] });
  const s = new CdnStats();
  s.urls = 3;
  t.match(s.snapshot(), { cdn_urls: 3, cdn_pages: 0 });
});
