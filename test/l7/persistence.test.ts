// Persistence options as the proxy applies them: the injected cookie's attributes, and whether
// session IDs are read from URLs.
import t from 'tap';
import { hashKey } from '../../engine/l7/backend-pool.js';
import { CookieInjection } from '../../engine/l7/persistence/cookie-injection.js';
import { HashGroupTable } from '../../engine/l7/persistence/hash-groups.js';
import { SessionIdPersistence } from '../../engine/l7/persistence/session-id.js';
import { parseRequestHead, parseResponseHead } from '../../engine/l7/http/parser.js';
import { defaultHeadLimits as headLimits } from '../../engine/l7/http/limits.js';

const request = (lines: string) => parseRequestHead(Buffer.from(`${lines}\r\n\r\n`, 'latin1'), 0, headLimits)!;
const response = (lines: string) => parseResponseHead(Buffer.from(`${lines}\r\n\r\n`, 'latin1'), 0, headLimits)!;

t.test('the injected cookie: HttpOnly always, Secure and Max-Age when configured', async (t) => {
  const plain = new CookieInjection('LB', 's', 'p', ['a', 'b']).chosen(request('GET / HTTP/1.1\r\nHost: x'), '', 1);
  t.match(plain, /^Set-Cookie: LB=[\w-]{22}; Path=\/; HttpOnly\r\n$/, 'by default: no Secure, a session cookie');
  const secure = new CookieInjection('LB', 's', 'p', ['a', 'b'], { secure: true, maxAgeSeconds: 3600 }).chosen(request('GET / HTTP/1.1\r\nHost: x'), '', 1);
  t.match(secure, /^Set-Cookie: LB=[\w-]{22}; Path=\/; HttpOnly; Secure; Max-Age=3600\r\n$/, 'secure: true adds Secure');
});

t.test('session IDs in URLs are learnt and honoured only with inUrl', async (t) => {
  for (const inUrl of [true, false]) {
    const p = new SessionIdPersistence(['JSESSIONID'], HashGroupTable.create(64), inUrl);
    p.learn(response('HTTP/1.1 302 Found\r\nLocation: /app;jsessionid=ABC123?x=1'), 1);
    p.learn(response('HTTP/1.1 200 OK\r\nSet-Cookie: JSESSIONID=COOKIE9; Path=/'), 1);
    t.equal(p.lookup(request('GET /app;jsessionid=ABC123 HTTP/1.1\r\nHost: x')), inUrl ? 1 : -1,
      `inUrl ${inUrl}: a ;jsessionid= path parameter ${inUrl ? 'finds' : 'does not find'} its server`);
    t.equal(p.lookup(request('GET / HTTP/1.1\r\nHost: x\r\nCookie: JSESSIONID=COOKIE9')), 1, `inUrl ${inUrl}: the session cookie always does`);
  }
});

t.test('hash keys: the URL with or without its query, a header, a cookie, else the client address', async (t) => {
  const req = request('GET /a/b?x=1&y=2 HTTP/1.1\r\nHost: x\r\nX-User: u7\r\nCookie: sid=s9; other=1');
  t.equal(hashKey('url', req, '198.18.0.1'), '/a/b?x=1&y=2');
  t.equal(hashKey('path', req, '198.18.0.1'), '/a/b', 'includeQuery: false hashes the path alone');
  t.equal(hashKey('path', request('GET /plain HTTP/1.1\r\nHost: x'), '198.18.0.1'), '/plain');
  t.equal(hashKey({ header: 'x-user' }, req, '198.18.0.1'), 'u7');
  t.equal(hashKey({ cookie: 'sid' }, req, '198.18.0.1'), 's9');
  t.equal(hashKey({ cookie: 'missing' }, req, '198.18.0.1'), '198.18.0.1', 'no such cookie: the client address');
  t.equal(hashKey('client-address', req, '198.18.0.1'), '198.18.0.1');
});

t.test('hash keys: equivalent spellings of a URL are one key (the path as the routing rules read it), the query as it came', async (t) => {
  const key = (on: 'url' | 'path', target: string) => hashKey(on, request(`GET ${target} HTTP/1.1\r\nHost: x`), '198.18.0.1');
  for (const target of ['/img/./a.png?v=1', '/img/x/../a.png?v=1', '/%69mg/a.png?v=1', '//img//a.png?v=1']) {
    t.equal(key('url', target), '/img/a.png?v=1', `${target} hashes as /img/a.png?v=1`);
    t.equal(key('path', target), '/img/a.png', `${target} hashes as /img/a.png without its query`);
  }
  t.equal(key('url', '/img/a.png?v=%2E%2E/x'), '/img/a.png?v=%2E%2E/x', 'the query is not normalized');
  t.equal(key('url', '/img%2Fa.png'), '/img%2Fa.png', 'an escaped slash stays one: it is not a segment boundary');
  t.not(key('url', '/img/a.png?v=1'), key('url', '/img/a.png?v=2'), 'different queries are different keys');
});
