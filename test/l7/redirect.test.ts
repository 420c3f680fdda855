// The redirect service's pure parts: where a request is sent, and the response that says so.
import t from 'tap';
import { redirectLocation, redirectResponse } from '../../engine/l7/redirect.js';

t.test('the new URL is the request URL with the rule\'s parts replaced', async (t) => {
  const https = { scheme: 'https' as const, status: 301 as const };
  t.equal(redirectLocation(https, 'http', 'shop.example:80', '/cart?id=7&x=%20'), 'https://shop.example/cart?id=7&x=%20', 'scheme changed; path and query kept; the port dropped');
  t.equal(redirectLocation(https, 'http', 'Shop.Example', '/'), 'https://shop.example/', 'host lower-cased');
  t.equal(redirectLocation(https, 'http', '[2001:2::5]:8080', '/a'), 'https://[2001:2::5]/a', 'an IPv6 literal keeps its brackets');
  t.equal(redirectLocation({ ...https, port: 8443 }, 'http', 'a.test', '/a'), 'https://a.test:8443/a', 'a port other than the default is written');
  t.equal(redirectLocation({ ...https, port: 443 }, 'http', 'a.test', '/a'), 'https://a.test/a', 'the default port is not');
  t.equal(redirectLocation({ host: 'www.example.com', status: 308 }, 'https', 'example.com', '/p'), 'https://www.example.com/p', "a new host, the service's scheme");
  t.equal(redirectLocation(https, 'http', 'a.test', 'http://a.test/x'), 'https://a.test/', 'an absolute-form target keeps no path');
});

t.test('a request without a usable host cannot be redirected unless the rule names one', async (t) => {
  const https = { scheme: 'https' as const, status: 301 as const };
  t.equal(redirectLocation(https, 'http', undefined, '/'), undefined, 'no Host');
  t.equal(redirectLocation(https, 'http', 'a b', '/'), undefined, 'a Host that is no host');
  t.equal(redirectLocation(https, 'http', 'evil.test/x', '/'), undefined, 'a Host with a path');
  t.equal(redirectLocation({ ...https, host: 'site.test' }, 'http', undefined, '/a'), 'https://site.test/a', 'the rule\'s host serves');
});

t.test('the response: status line, Location, length-delimited body, Connection: close when asked', async (t) => {
  const kept = redirectResponse(301, 'https://a.test/x', false).toString('latin1');
  const [head, body] = kept.split('\r\n\r\n');
  t.match(head, /^HTTP\/1\.1 301 Moved Permanently\r\n/, 'status line');
  t.match(head, /\r\nLocation: https:\/\/a\.test\/x(\r\n|$)/, 'Location');
  t.equal(Number(/Content-Length: (\d+)/.exec(head!)![1]), Buffer.byteLength(body!), 'Content-Length is the body\'s');
  t.notMatch(head, /Connection: close/, 'keep-alive by default');
  t.match(redirectResponse(308, 'https://a.test/', true).toString('latin1'), /^HTTP\/1\.1 308 Permanent Redirect\r\n[^]*Connection: close\r\n\r\n/, '308, closing');
});
