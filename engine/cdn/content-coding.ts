// Content codings the CDN layer decodes and produces (gzip, deflate, br), and the choice of the
// coding sent to a client by its Accept-Encoding.
import zlib from 'node:zlib';
import { Transform, type Duplex } from 'node:stream';

export type Coding = 'identity' | 'gzip' | 'deflate' | 'br';

/** The coding of a Content-Encoding value, or undefined when the CDN layer cannot decode it. */
export function parseContentEncoding(value: string | undefined): Coding | undefined {
  const v = (value ?? '').trim().toLowerCase();
  if (v === '' || v === 'identity') return 'identity';
  if (v === 'gzip' || v === 'x-gzip') return 'gzip';
  if (v === 'deflate' || v === 'br') return v;
  return undefined;
}

/** q-values of an Accept-Encoding header by coding ("*" included). */
function acceptedCodings(header: string | undefined): Map<string, number> {
  const out = new Map<string, number>();
  for (const part of (header ?? '').split(',')) {
    const [padded, ...params] = part.toLowerCase().split(';');
    const name = padded.trim();
    if (name === '') continue;
    let q = 1;
    for (const p of params) {
      const m = /^\s*q\s*=\s*([0-9.]+)\s*$/.exec(p);
      if (m !== null) q = Number(m[1]);
    }
    out.set(name, q);
  }
  return out;
}

/**
 * The coding to send: the one the client ranks highest by q-value; among equals, the back-end's
 * own (no re-encoding), then gzip (cheap to produce while streaming), then br. Deflate only as
 * the back-end's own (clients disagree on what it means). Identity when the client takes none.
 */
export function chooseCoding(acceptEncoding: string | undefined, preferred: Coding = 'identity'): Coding {
  const acc = acceptedCodings(acceptEncoding);
  const q = (c: string) => acc.get(c) ?? acc.get('*') ?? 0;
  let best: Coding = 'identity';
  let bestQ = 0;
  for (const c of [preferred, 'gzip', 'br'] as const) {
    if (c !== 'identity' && q(c) > bestQ) { best = c; bestQ = q(c); }
  }
  return best;
}

/** "deflate" should be zlib-wrapped, but some servers send raw deflate: look at the first bytes. */
function isZlibHeader(b: Buffer): boolean {
  return (b[0] & 0x0f) === 8 && ((b[0] << 8) | b[1]) % 31 === 0;
}

function deflateDecoder(): Transform {
  let inner: zlib.Inflate | zlib.InflateRaw | undefined;
  let first: Buffer = Buffer.alloc(0);
  const start = (self: Transform, head: Buffer) => {
    const z = head.length >= 2 && isZlibHeader(head) ? zlib.createInflate() : zlib.createInflateRaw();
    z.on('data', (d: Buffer) => self.push(d));
    z.on('error', (e) => self.destroy(e));
    inner = z;
    return z;
  };
  return new Transform({
    transform(chunk: Buffer, _e, done) {
      if (inner === undefined) {
        first = Buffer.concat([first, chunk]);
        if (first.length < 2) { done(); return; }
        start(this, first).write(first, () => done());
        return;
      }
      inner.write(chunk, () => done());
    },
    flush(done) {
      const z = inner ?? start(this, first);
      if (inner === z && first.length < 2 && first.length > 0) z.write(first);
      z.once('end', () => done());
      z.end();
    },
  });
}

export function decoderFor(coding: Coding): Duplex | undefined {
  switch (coding) {
    case 'gzip': return zlib.createGunzip();
    case 'deflate': return deflateDecoder();
    case 'br': return zlib.createBrotliDecompress();
    default: return undefined;
  }
}

// Streaming brotli at quality 5: close to gzip's cost, better ratio; 11 (the default) is far too
// slow for on-the-fly pages.
const BROTLI_STREAM = { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 5 } };

export function encoderFor(coding: Coding): Duplex | undefined {
  switch (coding) {
    case 'gzip': return zlib.createGzip({ level: 6 });
    case 'deflate': return zlib.createDeflate({ level: 6 });
    case 'br': return zlib.createBrotliCompress(BROTLI_STREAM);
    default: return undefined;
  }
}

/**
 * Whole-buffer decode (the cache filler reads whole pages). A body that would decode to more than
 * `maxBytes` throws a RangeError with code ERR_BUFFER_TOO_LARGE instead of filling the memory.
 */
export function decodeSync(coding: Coding, body: Buffer, maxBytes?: number): Buffer {
  const limit = maxBytes === undefined ? {} : { maxOutputLength: maxBytes };
  switch (coding) {
    case 'gzip': return zlib.gunzipSync(body, limit);
    case 'deflate': return body.length >= 2 && isZlibHeader(body) ? zlib.inflateSync(body, limit) : zlib.inflateRawSync(body, limit);
    case 'br': return zlib.brotliDecompressSync(body, limit);
    default: return body;
  }
}

/** Whole-buffer encode (cached pages are stored once per coding). */
export function encodeSync(coding: Coding, body: Uint8Array): Buffer {
  switch (coding) {
    case 'gzip': return zlib.gzipSync(body, { level: 6 });
    case 'deflate': return zlib.deflateSync(body, { level: 6 });
    case 'br': return zlib.brotliCompressSync(body, BROTLI_STREAM);
    default: return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  }
}
