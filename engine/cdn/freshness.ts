// May a shared cache store this response, and until when is it fresh (RFC 9111 §3, §4.2)?
// Pure: request and response headers and the clock in, a verdict out.
import { cacheControl, headerValue, type HeaderMap } from './headers.js';

export type Storability =
  /** `without`: fields never stored nor replayed (lower case), as a qualified no-cache or private names them. */
  | { storable: true; freshUntil: number; without: string[] }
  | { storable: false; reason: 'request-no-store' | 'no-store' | 'private' | 'set-cookie' | 'vary-star' | 'no-freshness' };

function seconds(v: string | undefined): number | undefined {
  if (v === undefined || !/^\d+$/.test(v)) return undefined;
  return Number(v);
}

function httpDate(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : t;
}

/** Field names of a qualified directive (`no-cache="Set-Cookie"`), lower case; [] when it has none. */
function fieldNames(directive: string | undefined): string[] {
  return (directive ?? '').split(',').map((n) => n.trim().toLowerCase()).filter((n) => n !== '');
}

/** Freshness lifetime in ms from the response, or undefined when it states none. */
export function freshnessLifetime(res: HeaderMap, now: number): number | undefined {
  const cc = cacheControl(headerValue(res, 'cache-control'));
  // A no-cache that names fields leaves the rest of the response fresh (RFC 9111 §5.2.2.4).
  if (cc.get('no-cache') === '') return 0;
  const s = seconds(cc.get('s-maxage')) ?? seconds(cc.get('max-age'));
  if (s !== undefined) return s * 1000;
  const expiresHeader = headerValue(res, 'expires');
  if (expiresHeader !== undefined) {
    const expires = httpDate(expiresHeader);
    // An invalid Expires (often "0") means already expired.
    return expires === undefined ? 0 : Math.max(0, expires - (httpDate(headerValue(res, 'date')) ?? now));
  }
  return undefined;
}

/** The Age a response arrived with, in ms (0 when it states none). */
export function ageOnArrival(res: HeaderMap): number {
  return (seconds(headerValue(res, 'age')) ?? 0) * 1000;
}

function hasValidator(res: HeaderMap): boolean {
  return res['etag'] !== undefined || res['last-modified'] !== undefined;
}

/** Requests with Authorization never get this far: the cache front passes them (cache-front.ts). */
export function storability(req: HeaderMap, res: HeaderMap, now: number): Storability {
  if (cacheControl(headerValue(req, 'cache-control')).has('no-store')) return { storable: false, reason: 'request-no-store' };
  const cc = cacheControl(headerValue(res, 'cache-control'));
  if (cc.has('no-store')) return { storable: false, reason: 'no-store' };
  if (cc.get('private') === '') return { storable: false, reason: 'private' };
  // Fields the back-end keeps to this client: the rest of the response may be shared (§5.2.2.4, §5.2.2.7).
  const without = [...new Set([...fieldNames(cc.get('private')), ...fieldNames(cc.get('no-cache'))])];
  // A page that sets a cookie is somebody's page: never shared, unless the back-end keeps the cookie out.
  if (res['set-cookie'] !== undefined && !without.includes('set-cookie')) return { storable: false, reason: 'set-cookie' };
  if ((headerValue(res, 'vary') ?? '').split(',').some((v) => v.trim() === '*')) return { storable: false, reason: 'vary-star' };
  const lifetime = freshnessLifetime(res, now);
  // Without a lifetime, or with none left, a stored page is only useful if it can be revalidated.
  if ((lifetime === undefined || lifetime === 0) && !hasValidator(res)) return { storable: false, reason: 'no-freshness' };
  return { storable: true, freshUntil: now + Math.max(0, (lifetime ?? 0) - ageOnArrival(res)), without };
}
