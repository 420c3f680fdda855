// Serving HTML pages through the page cache (worker side): fresh hits straight from the store
// (with 304 for clients' conditional requests, 206 for a byte range), stale pages revalidated
// with the back-end's validators, misses fetched once per key (the lease; always a GET, so a HEAD
// fills the cache too, as in nginx and Varnish), rewritten, stored in every coding a client may
// ask for, and anything not storable streamed through the rewriter as usual. Requests with
// Authorization skip the cache: a signed-in user's page is never shared, nor theirs replaced.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream';
import { byteRange, ifRangeHolds } from './byte-range.js';
import { cacheKey, varyNames, varyValue } from './cache-key.js';
import { charsetOfContentType } from './charset.js';
import { chooseCoding, decodeSync, encodeSync, parseContentEncoding, type Coding } from './content-coding.js';
import { passReason, planRewrite, rewrittenHeaders } from './encoding.js';
import { ageOnArrival, storability } from './freshness.js';
import { headerValue, type HeaderMap } from './headers.js';
import type { Lookup, PageCacheApi } from './page-cache.js';
import { sharedCopy, type Renewal, type StoredPage } from './page-store.js';
import { rewriteHtml } from './rewriter.js';
import { CdnStats } from './stats.js';
import type { UrlPolicy } from './url-policy.js';

export interface OriginResponse { status: number; headers: HeaderMap; body: Readable }

/**
 * Fetches the page from a back-end with `conditional` headers added, with `method` (default: the
 * client's). The caller sends the client's request without the client's own If-None-Match,
 * If-Modified-Since, Range and If-Range: those are in `conditional` when they are meant to go.
 */
export type FetchOrigin = (conditional: HeaderMap, method?: string) => Promise<OriginResponse>;

export interface PageRequestInfo { method: string; url: URL; headers: HeaderMap }

export type CacheState = 'HIT' | 'MISS' | 'REVALIDATED' | 'PASS';

export interface FrontResponse {
  status: number;
  headers: HeaderMap;
  /** A Buffer (length known, Content-Length set), a stream (send chunked), or none. */
  body: Buffer | Readable | null;
  cache: CacheState;
}

export interface CachingRewriterOptions {
  cache: PageCacheApi;
  policy: UrlPolicy;
  /** rulesHash() of the rules `policy` was compiled from. */
  rules: string;
  stats?: CdnStats;
  /** Larger pages (encoded, or once decoded) are streamed, not stored. Default 8 MiB. */
  maxPageBytes?: number;
  /** How long a key known not storable skips the cache. Default 10 s. */
  passMs?: number;
  /** Codings stored beside identity (computed once per fill). Default gzip and br. */
  storedCodings?: Coding[];
  now?: () => number;
}

const HOP_BY_HOP = ['connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection'];
const NOT_MODIFIED_FIELDS = ['cache-control', 'content-location', 'date', 'etag', 'expires', 'vary', 'last-modified', 'age', 'x-cache'];
const REFRESHED_BY_304 = ['cache-control', 'expires', 'date', 'etag', 'last-modified'];

/** The headers stored with a page: no framing, no Age (stated afresh at every answer), none of `withheld`. */
function replayHeaders(headers: HeaderMap, withheld: readonly string[]): Record<string, string | string[]> {
  const out = rewrittenHeaders(headers, 'identity');
  for (const h of [...HOP_BY_HOP, 'age', ...withheld]) delete out[h];
  const clean: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(out)) if (v !== undefined) clean[k] = v;
  return clean;
}

function etagList(v: string): string[] {
  return v.split(',').map((s) => s.trim().replace(/^W\//, '')).filter((s) => s !== '');
}

/** Does a client's conditional request match the stored page (RFC 9110 §13.1.2, §13.1.3)? */
export function notModified(request: HeaderMap, page: StoredPage): boolean {
  const inm = headerValue(request, 'if-none-match');
  const etag = headerValue(page.headers, 'etag');
  if (inm !== undefined) {
    if (inm.trim() === '*') return true;
    return etag !== undefined && etagList(inm).includes(etag.replace(/^W\//, ''));
  }
  const ims = Date.parse(headerValue(request, 'if-modified-since') ?? '');
  const lm = Date.parse(page.lastModified ?? '');
  return !Number.isNaN(ims) && !Number.isNaN(lm) && lm <= ims;
}

function asBuffer(u: Uint8Array): Buffer {
  return Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

/** A back-end response on its way to the client, rewritten as it streams when it is an HTML page. */
export function streamThrough(policy: UrlPolicy, req: PageRequestInfo, res: OriginResponse, stats?: CdnStats): FrontResponse {
  if (req.method === 'HEAD') {
    // Read to its end (nothing, or the body of a GET made for the HEAD): an unread response holds its connection.
    res.body.resume();
    return { status: res.status, headers: res.headers, body: null, cache: 'PASS' };
  }
  const plan = planRewrite(policy, { method: req.method, url: req.url, acceptEncoding: headerValue(req.headers, 'accept-encoding') }, res, stats);
  if (plan === null) return { status: res.status, headers: res.headers, body: res.body, cache: 'PASS' };
  const body = plan.transform;
  pipeline(res.body, body, () => {});
  return { status: res.status, headers: plan.headers, body, cache: 'PASS' };
}

// The client's own validators and Range, sent on when the answer is for this client alone (not
// from or for the cache): a video on a CDN route still seeks, a CDN revalidating a file gets its 304.
const CLIENT_OWN = ['if-none-match', 'if-modified-since', 'range', 'if-range'];

/**
 * Fetches for this client alone and streams the answer through the rewriter. A byte range of a
 * page that would be rewritten cannot be sent (its offsets count the back-end's bytes): the
 * whole page is fetched instead.
 */
export async function fetchThrough(policy: UrlPolicy, req: PageRequestInfo, fetchOrigin: FetchOrigin, stats?: CdnStats): Promise<FrontResponse> {
  const own: HeaderMap = {};
  for (const n of CLIENT_OWN) if (req.headers[n] !== undefined) own[n] = req.headers[n];
  let res = await fetchOrigin(own);
  const view = { method: req.method, url: req.url };
  if (res.status === 206 && passReason(view, { status: 200, headers: res.headers }) === undefined) {
    res.body.destroy();
    res = await fetchOrigin({});
  }
  return streamThrough(policy, req, res, stats);
}

export class CachingRewriter {
  readonly stats: CdnStats;
  private readonly maxPageBytes: number;
  private readonly passMs: number;
  private readonly storedCodings: Coding[];
  private readonly now: () => number;

  constructor(private readonly options: CachingRewriterOptions) {
    this.stats = options.stats ?? new CdnStats();
    this.maxPageBytes = options.maxPageBytes ?? 8 * 1024 * 1024;
    this.passMs = options.passMs ?? 10_000;
    this.storedCodings = options.storedCodings ?? ['gzip', 'br'];
    this.now = options.now ?? Date.now;
  }

  async handle(req: PageRequestInfo, fetchOrigin: FetchOrigin): Promise<FrontResponse> {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || req.headers['authorization'] !== undefined) return fetchThrough(this.options.policy, req, fetchOrigin, this.stats);
    const key = cacheKey(req.url);
    const found: Lookup = await this.options.cache.lookup(key, req.headers);
    switch (found.kind) {
      case 'hit':
        return this.fromPage(req, found.page, 'HIT');
      case 'pass':
        return fetchThrough(this.options.policy, req, fetchOrigin, this.stats);
      case 'stale':
        return this.revalidate(req, key, found.lease, found.page, fetchOrigin);
      default:
        return this.fill(req, key, found.lease, fetchOrigin);
    }
  }

  /** Pass-through with streaming rewrite: not stored. */
  private pass(req: PageRequestInfo, res: OriginResponse): FrontResponse {
    return streamThrough(this.options.policy, req, res, this.stats);
  }

  private fromPage(req: PageRequestInfo, page: StoredPage, state: CacheState): FrontResponse {
    const age = (page.ageOnArrival ?? 0) + this.now() - page.storedAt;
    const headers: HeaderMap = { ...page.headers, age: String(Math.max(0, Math.floor(age / 1000))), 'x-cache': state };
    if (notModified(req.headers, page)) {
      const h: HeaderMap = {};
      for (const n of NOT_MODIFIED_FIELDS) if (headers[n] !== undefined) h[n] = headers[n];
      return { status: 304, headers: h, body: null, cache: state };
    }
    const coding = chooseCoding(headerValue(req.headers, 'accept-encoding'), page.bodies.br !== undefined ? 'br' : 'gzip');
    const bytes = page.bodies[coding] ?? page.bodies.identity!;
    if (page.bodies[coding] !== undefined && coding !== 'identity') headers['content-encoding'] = coding;
    headers['accept-ranges'] = 'bytes';
    const range = req.method === 'GET' && page.status === 200 && ifRangeHolds(headerValue(req.headers, 'if-range'), headerValue(page.headers, 'etag'), page.lastModified)
      ? byteRange(headerValue(req.headers, 'range'), bytes.byteLength)
      : undefined;
    if (range === 'unsatisfiable') {
      headers['content-range'] = `bytes */${bytes.byteLength}`;
      return { status: 416, headers, body: Buffer.alloc(0), cache: state };
    }
    if (range !== undefined) {
      headers['content-range'] = `bytes ${range.start}-${range.end}/${bytes.byteLength}`;
      return { status: 206, headers, body: asBuffer(bytes.subarray(range.start, range.end + 1)), cache: state };
    }
    headers['content-length'] = String(bytes.byteLength);
    return { status: page.status, headers, body: req.method === 'HEAD' ? null : asBuffer(bytes), cache: state };
  }

  private async revalidate(req: PageRequestInfo, key: string, lease: number, page: StoredPage, fetchOrigin: FetchOrigin): Promise<FrontResponse> {
    const conditional: HeaderMap = {};
    if (page.originEtag !== undefined) conditional['if-none-match'] = page.originEtag;
    if (page.lastModified !== undefined) conditional['if-modified-since'] = page.lastModified;
    let res: OriginResponse;
    try { res = await fetchOrigin(conditional, 'GET'); } catch (e) {
      await this.options.cache.complete(key, lease, { kind: 'abandon' });
      throw e;
    }
    if (res.status !== 304) return this.fill(req, key, lease, fetchOrigin, res);
    res.body.resume();
    const headers = { ...page.headers };
    for (const n of REFRESHED_BY_304) {
      const v = res.headers[n];
      if (v !== undefined) headers[n] = n === 'etag' ? `W/${String(v).replace(/^W\//, '')}` : v;
    }
    const verdict = storability(req.headers, { ...headers, etag: page.originEtag, age: res.headers['age'] }, this.now());
    const renewal: Renewal = { headers, storedAt: this.now(), ageOnArrival: ageOnArrival(res.headers), freshUntil: verdict.storable ? verdict.freshUntil : 0 };
    await this.options.cache.complete(key, lease, verdict.storable
      ? { kind: 'refresh', varyValues: page.varyValues, renewal }
      : { kind: 'abandon' });
    return this.fromPage(req, { ...page, ...renewal }, 'REVALIDATED');
  }

  /** A page too large to store: its key skips the cache a while, its bytes (`read`, then `rest`) stream through the rewriter. */
  private async streamLarge(req: PageRequestInfo, key: string, lease: number, res: OriginResponse, read: Buffer[], rest?: Readable): Promise<FrontResponse> {
    await this.options.cache.complete(key, lease, { kind: 'pass', forMs: this.passMs });
    const body = Readable.from((async function* () { yield* read; if (rest !== undefined) yield* rest; })());
    return this.pass(req, { ...res, body });
  }

  /** Fetches (with a GET, also for a HEAD) and stores the page, or `got`, a response already fetched. */
  private async fill(req: PageRequestInfo, key: string, lease: number, fetchOrigin: FetchOrigin, got?: OriginResponse): Promise<FrontResponse> {
    const cache = this.options.cache;
    let res: OriginResponse;
    try { res = got ?? await fetchOrigin({}, 'GET'); } catch (e) {
      await cache.complete(key, lease, { kind: 'abandon' });
      throw e;
    }
    const now = this.now();
    const verdict = storability(req.headers, res.headers, now);
    const view = { method: 'GET', url: req.url, acceptEncoding: headerValue(req.headers, 'accept-encoding') };
    if (!verdict.storable || passReason(view, res) !== undefined) {
      // Only the page's own "not storable" earns a pass mark; errors, odd statuses and a client's
      // Cache-Control: no-store (this request's business, not the page's) leave the key to the next.
      const clientsChoice = !verdict.storable && verdict.reason === 'request-no-store';
      await cache.complete(key, lease, res.status === 200 && !clientsChoice ? { kind: 'pass', forMs: this.passMs } : { kind: 'abandon' });
      return this.pass(req, res);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of res.body) {
      chunks.push(c as Buffer);
      size += (c as Buffer).length;
      if (size > this.maxPageBytes) return this.streamLarge(req, key, lease, res, chunks, res.body);
    }
    const coding = parseContentEncoding(headerValue(res.headers, 'content-encoding'))!;
    let rewritten: Buffer;
    try {
      rewritten = rewriteHtml(decodeSync(coding, Buffer.concat(chunks), this.maxPageBytes), {
        policy: this.options.policy, pageUrl: req.url, charset: charsetOfContentType(headerValue(res.headers, 'content-type')), stats: this.stats,
      });
    } catch (e) {
      // A small body that decodes to a large page is streamed too (never inflated whole).
      if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') return this.streamLarge(req, key, lease, res, chunks);
      // A body that does not decode goes to the client as it came, and is not stored.
      this.stats.pagesPassedThrough++;
      await cache.complete(key, lease, { kind: 'abandon' });
      return { status: res.status, headers: res.headers, body: Buffer.concat(chunks), cache: 'PASS' };
    }
    const bodies: StoredPage['bodies'] = { identity: sharedCopy(rewritten) };
    for (const c of this.storedCodings) bodies[c] = sharedCopy(encodeSync(c, rewritten));
    const vary = varyNames(headerValue(res.headers, 'vary'));
    const page: StoredPage = {
      key,
      vary,
      varyValues: vary.map((n) => varyValue(req.headers[n])),
      status: res.status,
      headers: replayHeaders(res.headers, verdict.without),
      bodies,
      originEtag: headerValue(res.headers, 'etag'),
      lastModified: headerValue(res.headers, 'last-modified'),
      storedAt: now,
      ageOnArrival: ageOnArrival(res.headers),
      freshUntil: verdict.freshUntil,
      rules: this.options.rules,
    };
    await cache.complete(key, lease, { kind: 'store', page });
    const answer = this.fromPage(req, page, 'MISS');
    // What was kept out of the cache (a Set-Cookie) was meant for this client.
    for (const n of verdict.without) if (res.headers[n] !== undefined) answer.headers[n] = res.headers[n];
    return answer;
  }
}
