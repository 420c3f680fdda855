import t from 'tap';
import fc from 'fast-check';
import { decodeUnreserved, removeDotSegments, routingPath } from '../../engine/l7/routing-path.js';

t.test('remove_dot_segments: the examples of RFC 3986 5.2.4, and the edges of its steps', async (t) => {
  t.equal(removeDotSegments('/a/b/c/./../../g'), '/a/g');
  t.equal(removeDotSegments('mid/content=5/../6'), 'mid/6');
  const cases: Array<[string, string]> = [['/..', '/'], ['/a/..', '/'], ['/a/../b', '/b'], ['/./a', '/a'], ['/a/./b/', '/a/b/'], ['/a/b/..', '/a/'],
    ['/../../a', '/a'], ['/a/.b/..c', '/a/.b/..c'], ['/', '/'], ['', ''], ['/a/b', '/a/b']];
  for (const [input, want] of cases) t.equal(removeDotSegments(input), want, JSON.stringify(input));
});

t.test('percent-encoded unreserved characters are decoded; every other escape is kept', async (t) => {
  t.equal(decodeUnreserved('/%61dmin/%7Euser/%2e%2E'), '/admin/~user/..');
  t.equal(decodeUnreserved('/a%2Fb/%20/%25/%zz/%'), '/a%2Fb/%20/%25/%zz/%', "'/', space, '%' and broken escapes stay");
  t.equal(decodeUnreserved('/plain'), '/plain');
});

t.test('routingPath: the path a back-end would read, the query as it came', async (t) => {
  const cases: Array<[string, string]> = [
    ['/static/../admin/x', '/admin/x'], ['/%61dmin/x', '/admin/x'], ['//admin//x', '/admin/x'], ['/a/%2e%2e/admin', '/admin'],
    ['/a/b?x=/../y//z', '/a/b?x=/../y//z'], ['/x/..?q', '/?q'], ['/a%2F..%2Fadmin', '/a%2F..%2Fadmin'], ['*', '*'], ['/', '/'],
  ];
  for (const [target, want] of cases) t.equal(routingPath(target), want, target);
});

t.test('routingPath is idempotent and leaves plain paths alone', async (t) => {
  const segment = fc.constantFrom('a', 'b', '.', '..', '', '%2e', '%2E%2e', '%61', '%2F', '%zz', 'c.d');
  fc.assert(fc.property(fc.array(segment, { maxLength: 8 }), fc.option(fc.constantFrom('?q=1', '?a=/../b', '?'), { nil: '' }), (segs, query) => {
    const target = `/${segs.join('/')}${query}`;
    const once = routingPath(target);
    if (routingPath(once) !== once) throw new Error(`${target} -> ${once} -> ${routingPath(once)}`);
    const path = `/${segs.join('/')}`;
    const plain = !/(^|\/)\.\.?(\/|$)/.test(path) && !path.includes('%') && !path.includes('//');
    if (plain && once !== target) throw new Error(`changed ${target}`);
  }));
  t.pass('idempotent');
});
