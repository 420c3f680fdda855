// The streaming path of a response: decide whether it is rewritten, and build the pipeline
// decode → rewrite → encode with the headers that go with it. The L7 proxy calls planRewrite
// with the response head; null means "forward untouched".
import * as streams from 'node:stream';
import { Transform, type Duplex } from 'node:stream';
import { charsetOfContentType, canonicalCharset, isAsciiCompatible, isHtml } from './charset.js';
import { chooseCoding, decoderFor, encoderFor, parseContentEncoding, type Coding } from './content-coding.js';
import { addVary, cacheControl, headerValue, weakEtag, type HeaderMap } from './headers.js';
import { createRewriteStream } from './rewrite-stream.js';
import type { CdnStats } from './stats.js';
import type { UrlPolicy } from './url-policy.js';

// stream.compose (Node >= 16.9) chains stages into one Duplex with error propagation; the
// installed @types/node does not declare it.
const compose = (streams as unknown as { compose(...stages: Duplex[]): Duplex }).compose;

export interface PageRequest {
  method: string;
  /** Absolute URL of the page (scheme and Host of the client's request). */
  url: URL;
  acceptEncoding?: string;
}

export interface ResponseHeadView {
  status: number;
  headers: HeaderMap;
}

export interface RewritePlan {
  /** Encoded back-end body in, encoded rewritten body out. */
  transform: Duplex;
  /** The response headers to send (Content-Length removed: the length is known only at the end). */
  headers: HeaderMap;
  coding: Coding;
}

export type PassReason = 'method' | 'status' | 'not-html' | 'no-transform' | 'coding' | 'charset';

/** Why a response is not rewritten, or undefined when it is. */
export function passReason(req: PageRequest, head: ResponseHeadView): PassReason | undefined {
  if (req.method !== 'GET' && req.method !== 'POST') return 'method';
  if (head.status !== 200) return 'status';
  const type = headerValue(head.headers, 'content-type');
  if (!isHtml(type)) return 'not-html';
  if (cacheControl(headerValue(head.headers, 'cache-control')).has('no-transform')) return 'no-transform';
  if (parseContentEncoding(headerValue(head.headers, 'content-encoding')) === undefined) return 'coding';
  const label = charsetOfContentType(type);
  if (label !== undefined) {
    const enc = canonicalCharset(label);
    if (enc === undefined || !isAsciiCompatible(enc)) return 'charset';
  }
  return undefined;
}

/** The headers of a rewritten response sent with `coding`. */
export function rewrittenHeaders(headers: HeaderMap, coding: Coding): HeaderMap {
  const out: HeaderMap = { ...headers };
  delete out['content-length'];
  delete out['content-md5'];
  delete out['accept-ranges'];
  delete out['content-encoding'];
  if (coding !== 'identity') out['content-encoding'] = coding;
  out['vary'] = addVary(headerValue(headers, 'vary'), 'Accept-Encoding');
  const etag = weakEtag(headerValue(headers, 'etag'));
  if (etag !== undefined) out['etag'] = etag;
  return out;
}

// Input kept for a way back, until the pipeline's first output; past this, no way back.
const FALLBACK_MAX_BYTES = 256 * 1024;

/**
 * `inner` (decode → rewrite → encode), with a way back: when it fails before it gave out a byte
 * (a body that does not decode), the input goes on as it came. Only for a client sent the
 * back-end's own coding: the head it got then still describes those bytes.
 */
function withFallback(inner: Duplex, onFallback: () => void): Transform {
  let held: Buffer[] | undefined = [];
  let heldBytes = 0;
  let raw = false;
  let finish: ((e?: Error) => void) | undefined;
  const outer = new Transform({
    transform(chunk: Buffer, _enc, done) {
      if (raw) { done(null, chunk); return; }
      if (held !== undefined) {
        held.push(chunk);
        heldBytes += chunk.length;
        if (heldBytes > FALLBACK_MAX_BYTES) held = undefined;
      }
      inner.write(chunk, () => done());
    },
    flush(done) {
      if (raw) { done(); return; }
      finish = done;
      inner.end();
    },
  });
  inner.on('data', (d: Buffer) => { held = undefined; outer.push(d); });
  inner.on('end', () => finish?.());
  inner.on('error', (e) => {
    if (held === undefined) { outer.destroy(e); return; }
    raw = true;
    onFallback();
    for (const c of held) outer.push(c);
    held = undefined;
    finish?.();
  });
  outer.on('close', () => inner.destroy());
  return outer;
}

/**
 * The rewrite pipeline for this response, or null when it passes untouched (not HTML, not 200,
 * `no-transform`, an unknown coding or a charset the byte scanner cannot read: counted).
 * The caller sends `headers` with chunked framing (HTTP/1.1) or closes after the body (1.0).
 */
export function planRewrite(policy: UrlPolicy, req: PageRequest, head: ResponseHeadView, stats?: CdnStats): RewritePlan | null {
  const reason = passReason(req, head);
  if (reason !== undefined) {
    if (stats !== undefined && (reason === 'coding' || reason === 'charset')) stats.pagesPassedThrough++;
    return null;
  }
  const from = parseContentEncoding(headerValue(head.headers, 'content-encoding'))!;
  const to = chooseCoding(req.acceptEncoding, from);
  const rewrite = createRewriteStream({ policy, pageUrl: req.url, charset: charsetOfContentType(headerValue(head.headers, 'content-type')), stats });
  const stages: Duplex[] = [];
  const dec = decoderFor(from);
  if (dec !== undefined) stages.push(dec);
  stages.push(rewrite);
  const enc = encoderFor(to);
  if (enc !== undefined) stages.push(enc);
  const pipeline = stages.length === 1 ? stages[0] : compose(...stages);
  const transform = from !== 'identity' && from === to ? withFallback(pipeline, () => { if (stats !== undefined) stats.pagesPassedThrough++; }) : pipeline;
  return { transform, headers: rewrittenHeaders(head.headers, to), coding: to };
}
