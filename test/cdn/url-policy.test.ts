import t from 'tap';
import fc from 'fast-check';
import { cdnUrlFor, compilePolicy, ExtensionSet, extensionOf, hasOtherSchemeAt, plainCdnUrl, PrefixSet, shardIndex, urlScope } from '../../engine/cdn/url-policy.js';
import { rewriteHtml } from '../../engine/cdn/rewriter.js';

const policy = compilePolicy({
  baseUrls: ['https://cdn1.example.net/', 'https://cdn2.example.net/edge'],
  include: { prefixes: ['/static/'], extensions: ['.PNG', '.css'], hosts: ['img.example.com', '*.assets.example.com'] },
  exclude: { prefixes: ['/static/private/'], extensions: ['.php'], hosts: ['raw.assets.example.com'] },
});
const page = new URL('https://www.example.com/shop/list.html?page=2');

// `want`: the path served from the CDN (the shard is checked separately), or undefined.
const cases: Array<{ name: string; raw: string; base?: string; want: string | undefined }> = [
  { name: 'absolute path under an included prefix', raw: '/static/app.js', want: '/static/app.js' },
  { name: 'extension match anywhere on the page host (case-insensitive)', raw: '/img/a.PnG', want: '/img/a.PnG' },
  { name: 'relative URL resolves against the page directory', raw: 'thumbs/x.png', want: '/shop/thumbs/x.png' },
  { name: 'dot segments are resolved', raw: '../static/./a/../b.css', want: '/static/b.css' },
  { name: 'relative URL resolves against <base href>', raw: 'x.css', base: 'https://www.example.com/v2/', want: '/v2/x.css' },
  { name: 'protocol-relative on the page host', raw: '//www.example.com/static/s.js', want: '/static/s.js' },
  { name: 'absolute URL on the page host, other scheme', raw: 'http://www.example.com/static/s.js', want: '/static/s.js' },
  { name: 'absolute URL on the page host', raw: 'https://www.example.com/img/a.PnG', want: '/img/a.PnG' },
  { name: 'absolute URL on the page host, scheme and host in upper case', raw: 'HTTPS://WWW.EXAMPLE.COM/static/a.js', want: '/static/a.js' },
  { name: 'absolute URL on the page host with its default port', raw: 'https://www.example.com:443/static/a.js', want: '/static/a.js' },
  { name: 'absolute URL on the page host, dot segment', raw: 'https://www.example.com/static/./a.js', want: '/static/a.js' },
  { name: 'absolute URL on the page host, excluded prefix', raw: 'https://www.example.com/static/private/k.png', want: undefined },
  { name: 'absolute URL on the page host, empty segment', raw: 'https://www.example.com//x/a.png', want: '//x/a.png' },
  { name: 'the page host as user info of another host', raw: 'https://www.example.com@evil.example/static/a.png', want: undefined },
  { name: 'the page host as the start of another host', raw: 'https://www.example.com.evil.example/static/a.png', want: undefined },
  { name: 'listed host: every path', raw: 'https://img.example.com/any/thing', want: '/any/thing' },
  { name: 'wildcard host', raw: 'https://eu.assets.example.com/f.woff2', want: '/f.woff2' },
  { name: 'excluded host under a wildcard', raw: 'https://raw.assets.example.com/f.woff2', want: undefined },
  { name: 'excluded prefix wins over included prefix', raw: '/static/private/key.png', want: undefined },
  { name: 'excluded extension', raw: '/static/thumb.php', want: undefined },
  { name: 'other host not listed', raw: 'https://other.example.org/static/a.png', want: undefined },
  { name: 'page host with another port is another host', raw: 'https://www.example.com:8443/static/a.png', want: undefined },
  { name: 'neither prefix nor extension', raw: '/about/team.html', want: undefined },
  { name: 'already on the CDN', raw: 'https://cdn1.example.net/static/a.png', want: undefined },
  { name: 'data: URL', raw: 'data:image/png;base64,AAAA', want: undefined },
  { name: 'javascript: URL', raw: 'javascript:void(0)', want: undefined },
  { name: 'fragment only', raw: '#top', want: undefined },
  { name: 'empty', raw: '   ', want: undefined },
  { name: 'unparsable', raw: 'http://[::1', want: undefined },
  { name: 'non-ASCII path is percent-encoded as UTF-8', raw: '/static/café.png', want: '/static/caf%C3%A9.png' },
  { name: 'a char past latin1 is read as itself, not its low byte ("/")', raw: '/static/a\u012fb.png', want: '/static/a%C4%AFb.png' },
  { name: 'spaces around are trimmed', raw: '  /static/a.png ', want: '/static/a.png' },
];

for (const c of cases) {
  const want = c.want === undefined ? undefined : policy.bases[shardIndex(c.want, 2)] + c.want;
  t.equal(cdnUrlFor(policy, c.raw, new URL(c.base ?? page.href), page.host), want, c.name);
}

// The rewriter judges most URLs without the URL parser (plain paths, paths on the page's own
// origin): in a page, every case must come out as the URL parser's answer above, with what
// follows the URL's head (query, fragment) and the spaces around it left as they were.
t.test('the rewriter agrees with the URL parser on every case', async (t) => {
  for (const c of cases) {
    const head = c.raw.trim().split(/[?#]/)[0];
    const cdn = cdnUrlFor(policy, head, new URL(c.base ?? page.href), page.host);
    for (const rest of ['', '?v=2', '#top']) {
      if (head === '' && rest !== '') continue;
      const raw = c.raw + rest;
      // A path ending in a space before a query keeps it (%20) for the URL parser: left as it is.
      const keeps = cdn === undefined || (rest !== '' && /\s$/.test(c.raw));
      const want = keeps ? raw : raw.replace(head, cdn);
      const html = `${c.base === undefined ? '' : `<base href="${c.base}">`}<img src="${raw}">`;
      const out = rewriteHtml(Buffer.from(html), { policy, pageUrl: page, charset: 'utf-8' }).toString();
      t.equal(out, html.replace(`src="${raw}"`, `src="${want}"`), `${c.name}${rest}`);
    }
  }
});

t.test('sharding is a stable function of the path, and spreads paths', async (t) => {
  t.equal(shardIndex('/static/app.js', 2), 1, 'same shard as last release (FNV-1a is fixed)');
  t.equal(cdnUrlFor(policy, '/static/app.js', page, page.host), 'https://cdn2.example.net/edge/static/app.js', 'base URL trailing slash dropped, path prefix kept');
  const counts = [0, 0, 0, 0];
  for (let i = 0; i < 4000; i++) counts[shardIndex(`/media/p/${i}/thumb.jpg`, 4)]++;
  for (const c of counts) t.ok(c > 800 && c < 1200, `shard share ${c} of 4000 near 1000`);
  t.equal(cdnUrlFor(policy, '/static/app.js?v=1', page, page.host), cdnUrlFor(policy, '/static/app.js', page, page.host), 'the query does not move a path to another shard');
});

t.test('a plain path is one of A-Z a-z 0-9 -_~!$()*+,;=@/. (every byte tried), and goes to the shard of its path', async (t) => {
  const scope = urlScope(policy, page, page.host);
  const kept = /[A-Za-z0-9\-_~!$()*+,;=@/.]/;
  const wrong: string[] = [];
  for (let c = 0; c < 256; c++) {
    const path = `/static/a${String.fromCharCode(c)}b.png`;
    const got = plainCdnUrl(scope, Buffer.from(path, 'latin1'), 0, path.length);
    const want = kept.test(String.fromCharCode(c)) ? policy.bases[shardIndex(path, policy.bases.length)] : undefined;
    if (got !== want) wrong.push(`0x${c.toString(16)}: ${got} (want ${want})`);
  }
  t.same(wrong, []);
  const plain = (path: string): boolean => plainCdnUrl(scope, Buffer.from(path, 'latin1'), 0, path.length) !== undefined;
  for (const path of ['./a.png', '../a.png', '.a.png', '/a/./b.png', '/a/../b.png', '/static/.png']) t.notOk(plain(path), `${path}: a dot segment is left to the URL parser`);
  for (const path of ['a.png', '/a.b/c.png', '/static/a..png', '/static/a.']) t.ok(plain(path), `${path}: plain`);
});

t.test('extensionOf looks at the last segment only', async (t) => {
  t.equal(extensionOf('/a.b/c'), '');
  t.equal(extensionOf('/a/b.min.JS'), '.js');
  t.equal(extensionOf('/'), '');
});

t.test('an ExtensionSet matches an extension where the bytes hold it, ignoring ASCII case', async (t) => {
  const set = new ExtensionSet(['.PNG', '.woff2', '.js', '.jpeg', '.jpg', '.é']);
  const at = (text: string, ext: string): boolean => set.hasAt(Buffer.from(text, 'latin1'), text.lastIndexOf(ext), text.lastIndexOf(ext) + ext.length);
  t.ok(at('/a/b.png', '.png'), 'configured upper case, text lower case');
  t.ok(at('x="/a/b.Woff2" y', '.Woff2'), 'mixed case, inside a longer text');
  t.ok(at('/a/b.jpg', '.jpg') && at('/a/b.jpeg', '.jpeg'), 'two extensions of one first letter');
  t.ok(at('/a/b.é', '.é'), 'a non-ASCII extension, as configured');
  t.notOk(at('/a/b.É', '.É'), 'only ASCII letters are folded (a path reaching here is ASCII)');
  t.notOk(at('/a/b.pn', '.pn'), 'a prefix of one is not one');
  t.notOk(at('/a/b.pngx', '.pngx'), 'nor a longer one');
  t.notOk(at('/a/b.pmg', '.pmg'), 'same length and last letter (one bucket) is not enough');
  t.notOk(set.hasAt(Buffer.from('/a/b'), 4, 4), 'no extension');
  t.notOk(new ExtensionSet([]).hasAt(Buffer.from('.png'), 0, 4), 'an empty set');
  const long = new ExtensionSet(['.woff2', '.wOfz2', '.tar.GZ1234', '.tar.xz1234']);
  const inLong = (text: string): boolean => long.hasAt(Buffer.from(text, 'latin1'), 0, text.length);
  t.ok(inLong('.WOFF2') && inLong('.wofz2'), 'two of one bucket, alike in their first four chars');
  t.notOk(inLong('.wofx2') || inLong('.wof'), 'nor one differing past them, or a prefix');
  t.ok(inLong('.tar.gz1234') && inLong('.TAR.XZ1234'), 'longer than eight chars');
  t.notOk(inLong('.tar.gz1233') || inLong('.tar.gy1234'), 'differing in the third group of four, or the second');
  t.notOk(new ExtensionSet(['.\u0101']).hasAt(Buffer.from('.\x01', 'latin1'), 0, 2), 'a char past latin1 matches no byte (not its low byte)');
});

t.test('a PrefixSet matches the prefixes a path starts with, bucketed by their first two chars', async (t) => {
  const at = (set: PrefixSet, path: string): boolean => set.hasAt(Buffer.from(`x${path}y`, 'latin1'), 1, path.length + 1);
  const set = new PrefixSet(['/static/', '/static/private/', '/api/', '/sa/', 'a']);
  t.ok(at(set, '/static/a.png') && at(set, '/static/private/a') && at(set, '/api/') && at(set, '/sa/b'), 'prefixes of one bucket and of others');
  t.notOk(at(set, '/static') || at(set, '/stat/x') || at(set, '/API/x') || at(set, '/s') || at(set, ''), 'a prefix of one, a differing one, another case, too short');
  t.ok(at(set, 'a') && at(set, 'ab/c') && !at(set, 'b'), 'a one-char prefix');
  t.ok(at(new PrefixSet(['']), '') && at(new PrefixSet(['']), '/x'), 'an empty prefix matches every path');
  t.ok(at(new PrefixSet(['/']), '/x') && !at(new PrefixSet(['/']), 'x'), 'the root');
  t.notOk(at(new PrefixSet([]), '/x'), 'no prefix');
  t.notOk(at(new PrefixSet(['/\u0101']), '/\x01'), 'a char past latin1 matches no byte');
});

t.test('included and excluded extensions and prefixes in one set each: an excluded one wins', async (t) => {
  const ext = new ExtensionSet(['.png', '.PHP', '.css'], ['.php', '.Css5']);
  const at = (text: string): boolean => ext.hasAt(Buffer.from(text, 'latin1'), 0, text.length);
  t.ok(at('.png') && at('.CSS'), 'included');
  t.notOk(at('.php') || at('.PhP') || at('.css5'), 'excluded (one also included, in another case)');
  const prefixes = new PrefixSet(['/static/', '/s', ''], ['/static/private/', '/api/']);
  const goes = (path: string, byRest: boolean): boolean => prefixes.goes(Buffer.from(path, 'latin1'), 0, path.length, byRest);
  t.ok(goes('/x', false) && goes('/static/a', true) && goes('/api', true), 'an included prefix, or the rest of the rules');
  t.notOk(goes('/static/private/a', false) || goes('/static/private/a', true) || goes('/api/x', true), 'an excluded prefix wins');

  // Against the rules as written, on random paths and rules of a few chars.
  const chars = fc.constantFrom('a', 'A', 'p', 'P', 'g', '.', '/', '_', '1');
  const word = fc.array(chars, { maxLength: 6 }).map((a) => a.join(''));
  const extension = fc.array(chars, { minLength: 1, maxLength: 9 }).map((a) => `.${a.join('')}`);
  const rules = fc.record({ inc: fc.array(word, { maxLength: 3 }), exc: fc.array(word, { maxLength: 3 }),
    incExt: fc.array(extension, { maxLength: 4 }), excExt: fc.array(extension, { maxLength: 3 }) });
  fc.assert(fc.property(rules, word, (r, path) => {
    const p = compilePolicy({ baseUrls: ['https://c.example'], include: { prefixes: r.inc, extensions: r.incExt }, exclude: { prefixes: r.exc, extensions: r.excExt } });
    const scope = urlScope(p, page, page.host);
    const got = plainCdnUrl(scope, Buffer.from(`/${path}`, 'latin1'), 0, path.length + 1);
    if (got === undefined) return true; // not a plain path (a dot segment)
    const e = extensionOf(`/${path}`);
    const has = (list: string[]): boolean => list.some((x) => x.toLowerCase() === e);
    const starts = (list: string[]): boolean => list.some((x) => `/${path}`.startsWith(x));
    const want = !has(r.excExt) && !starts(r.exc) && (has(r.incExt) || starts(r.inc));
    return (got !== null) === want;
  }), { numRuns: 2000 });
});

t.test('hasOtherSchemeAt reads a leading scheme as the URL parser does: http(s) or none is not another', async (t) => {
  // The rule as two sticky regexes (what it replaced), for reference.
  const reference = (s: string, at: number): boolean => {
    const leading = /[A-Za-z][A-Za-z0-9+.-]*:/y;
    const http = /https?:/iy;
    leading.lastIndex = at;
    http.lastIndex = at;
    return leading.test(s) && !http.test(s);
  };
  const other = (s: string, at = 0): boolean => hasOtherSchemeAt(Buffer.from(s, 'latin1'), at, s.length);
  for (const s of ['data:x', 'mailto:a@b', 'JavaScript:void(0)', 'a+b-c.d:', 'ftp:', 'httpx:', 'http+s:', 'htt:', 'httpss:']) t.ok(other(s), s);
  for (const s of ['http:', 'HTTPS://a', 'hTtP:x', '/a:b', ' data:x', '1a:', 'a b:', 'data', '', ':', 'é:', 'a\u00e9:']) t.notOk(other(s), JSON.stringify(s));
  t.ok(other('x="data:y', 3) && !other('x="http:y', 3), 'at an offset');
  const chars = fc.constantFrom('h', 'H', 't', 'T', 'p', 's', 'S', 'a', '1', '+', '-', '.', ':', '/', ' ', 'é', '&');
  fc.assert(fc.property(fc.array(chars, { maxLength: 9 }).map((a) => a.join('')), fc.nat({ max: 3 }), (s, at) => other(s, at) === reference(s, at)));
});

t.test('bad base URLs are refused with a code', async (t) => {
  const bad: Array<[string[], string]> = [
    [[], 'ERR_CDN_NO_BASE_URL'],
    [['not a url'], 'ERR_CDN_BAD_BASE_URL'],
    [['ftp://cdn.example.net'], 'ERR_CDN_BAD_BASE_URL'],
    [['https://cdn.example.net/?x=1'], 'ERR_CDN_BAD_BASE_URL'],
  ];
  for (const [baseUrls, code] of bad) {
    t.throws(() => compilePolicy({ baseUrls, include: { prefixes: ['/'] } }), { name: 'LbError', code }, `${JSON.stringify(baseUrls)} → ${code}`);
  }
});

t.test('anchors are rewritten only when asked', async (t) => {
  t.equal(compilePolicy({ baseUrls: ['https://c.example'], include: { prefixes: ['/'] } }).rewriteAnchors, false);
  t.equal(compilePolicy({ baseUrls: ['https://c.example'], include: { prefixes: ['/'] }, rewriteAnchors: true }).rewriteAnchors, true);
});
