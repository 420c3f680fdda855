import t from 'tap';
import { storability } from '../../engine/cdn/freshness.js';
import type { HeaderMap } from '../../engine/cdn/headers.js';

const now = Date.parse('2026-11-25T08:00:00Z');
const date = new Date(now).toUTCString();
const inSecs = (s: number) => new Date(now + s * 1000).toUTCString();

const cases: Array<{ name: string; req?: HeaderMap; res: HeaderMap; want: number | string; without?: string[] }> = [
  { name: 'max-age', res: { 'cache-control': 'max-age=60' }, want: 60 },
  { name: 's-maxage wins over max-age in a shared cache', res: { 'cache-control': 'max-age=60, s-maxage=300' }, want: 300 },
  { name: 'Expires relative to Date', res: { expires: inSecs(120), date }, want: 120 },
  { name: 'max-age wins over Expires', res: { 'cache-control': 'max-age=10', expires: inSecs(120) }, want: 10 },
  { name: 'invalid Expires means expired (storable with a validator)', res: { expires: '0', etag: '"a"' }, want: 0 },
  { name: 'invalid Expires without a validator', res: { expires: '0' }, want: 'no-freshness' },
  { name: 'Age is taken off', res: { 'cache-control': 'max-age=60', age: '45' }, want: 15 },
  { name: 'no-cache with a validator: stored, revalidated on every use', res: { 'cache-control': 'no-cache', etag: '"a"' }, want: 0 },
  { name: 'no-cache without a validator', res: { 'cache-control': 'no-cache' }, want: 'no-freshness' },
  { name: 'only Last-Modified', res: { 'last-modified': date }, want: 0 },
  { name: 'nothing at all', res: {}, want: 'no-freshness' },
  { name: 'no-store', res: { 'cache-control': 'max-age=60, no-store' }, want: 'no-store' },
  { name: 'private', res: { 'cache-control': 'private, max-age=60' }, want: 'private' },
  { name: 'request no-store', req: { 'cache-control': 'no-store' }, res: { 'cache-control': 'max-age=60' }, want: 'request-no-store' },
  { name: 'Set-Cookie makes a page personal', res: { 'cache-control': 'max-age=60', 'set-cookie': ['a=b'] }, want: 'set-cookie' },
  { name: 'Vary: *', res: { 'cache-control': 'max-age=60', vary: 'Accept-Language, *' }, want: 'vary-star' },
  { name: 'quoted directive values and odd spacing', res: { 'cache-control': ' Max-Age = "20" ' }, want: 20 },
  // The back-end tells the cache to keep the cookie out (RFC 9111 §5.2.2.4, §5.2.2.7): the rest may be shared.
  { name: 'private="Set-Cookie": stored without the cookie', res: { 'cache-control': 'private="Set-Cookie", max-age=60', 'set-cookie': ['a=b'] }, want: 60, without: ['set-cookie'] },
  { name: 'no-cache="set-cookie, x-user": stored without both, fresh', res: { 'cache-control': 'max-age=60, no-cache="set-cookie, X-User"', 'set-cookie': ['a=b'] }, want: 60, without: ['set-cookie', 'x-user'] },
  { name: 'private naming other fields: a cookie still makes it personal', res: { 'cache-control': 'private="x-user", max-age=60', 'set-cookie': ['a=b'] }, want: 'set-cookie' },
];

for (const c of cases) {
  const v = storability(c.req ?? {}, c.res, now);
  if (typeof c.want === 'number') t.same(v, { storable: true, freshUntil: now + c.want * 1000, without: c.without ?? [] }, c.name);
  else t.same(v, { storable: false, reason: c.want }, c.name);
}
