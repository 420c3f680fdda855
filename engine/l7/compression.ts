// Response compression (proxy.compression; nginx's gzip, HAProxy's compression): a back-end
// response the client would take compressed, and that is not already, leaves gzip- or
// brotli-encoded, chunked. Which responses: 200s to HTTP/1.1 GET/POST... requests (not HEAD),
// of the configured media types, without Content-Encoding or Cache-Control: no-transform, and
// not known to be smaller than `minBytes`; as nginx, which compresses for HTTP/1.1 by default.
// The encoder runs on libuv's thread pool (node's zlib streams), off the worker's event loop.
import type net from 'node:net';
import type { Duplex } from 'node:stream';
import { chooseCoding, encoderFor, parseContentEncoding, type Coding } from '../cdn/content-coding.js';
import { addVary, cacheControl, weakEtag } from '../cdn/headers.js';
import { fieldValue, type RequestHead, type ResponseHead } from './http/parser.js';
import type { RequestMetrics } from './request-metrics.js';

export interface CompressionOptions {
  /** Media types compressed ("type/subtype", lower case). */
  types: readonly string[];
  /** Responses whose Content-Length says fewer bytes pass as they are. */
  minBytes: number;
}

/** The coding to compress this response with, or undefined when it passes as it came. */
export function compressionCoding(o: CompressionOptions, req: RequestHead, res: ResponseHead): 'gzip' | 'br' | undefined {
  if (req.minor !== 1 || req.method === 'HEAD' || res.status !== 200 || req.upgrade !== undefined) return undefined;
  if (res.contentLength >= 0 && res.contentLength < o.minBytes) return undefined;
  if (parseContentEncoding(fieldValue(res, 'content-encoding')) !== 'identity') return undefined;
  const type = fieldValue(res, 'content-type');
  if (type === undefined || !o.types.includes(type.split(';')[0].trim().toLowerCase())) return undefined;
  if (cacheControl(fieldValue(res, 'cache-control')).has('no-transform')) return undefined;
  const coding = chooseCoding(fieldValue(req, 'accept-encoding'));
  return coding === 'gzip' || coding === 'br' ? coding : undefined;
}

// The fields a compressed body invalidates: its length and coding, a strong validator, what
// ranges and digests of the old bytes meant. Vary and ETag come back restated.
const REPLACED = new Set(['content-length', 'content-encoding', 'etag', 'vary', 'accept-ranges', 'content-md5']);

/** Marks the fields of `res` a compressed body replaces as not forwarded; returns the field lines that replace them. */
export function compressedFields(res: ResponseHead, coding: Coding): string {
  let vary: string | undefined;
  let etag: string | undefined;
  const names = res.names;
  for (let i = 0; i < names.length; i++) {
    const lower = names[i].toLowerCase();
    if (!REPLACED.has(lower)) continue;
    if (lower === 'vary') vary = vary === undefined ? res.values[i] : `${vary}, ${res.values[i]}`;
    else if (lower === 'etag') etag = res.values[i];
    if (!res.hop.includes(i)) res.hop.push(i);
  }
  const weak = weakEtag(etag);
  return `Content-Encoding: ${coding}\r\nVary: ${addVary(vary, 'Accept-Encoding')}\r\n${weak === undefined ? '' : `ETag: ${weak}\r\n`}`;
}

const LAST_CHUNK = Buffer.from('0\r\n\r\n', 'latin1');
const CRLF = Buffer.from('\r\n', 'latin1');

/**
 * A response body on its way through the encoder to the client, as chunked framing. Backpressure
 * both ways: `write` says false when the encoder is full (the caller pauses the back-end and
 * waits for `onInputDrain`); a full client socket pauses the encoder until `clientDrained`.
 */
export class CompressedBody {
  private readonly z: Duplex;

  /** `metrics`: counts the response and its bytes in and out (into its current counts: take() replaces them). */
  constructor(coding: 'gzip' | 'br', private readonly client: net.Socket, private readonly metrics: RequestMetrics,
    onInputDrain: () => void, onFinished: () => void, onError: () => void) {
    this.z = encoderFor(coding)!;
    metrics.compressed[coding]++;
    this.z.on('data', (c: Buffer) => {
      metrics.compressed.bytesOut += c.length;
      client.cork();
      client.write(`${c.length.toString(16)}\r\n`, 'latin1');
      client.write(c);
      const ok = client.write(CRLF);
      client.uncork();
      if (!ok) this.z.pause();
    });
    this.z.on('drain', onInputDrain);
    this.z.on('end', () => { client.write(LAST_CHUNK); onFinished(); });
    this.z.on('error', onError);
  }

  /** Takes body bytes buf[start, end) (copied: the caller's read buffer may be reused); false when the encoder is full. */
  write(buf: Buffer, start: number, end: number): boolean {
    this.metrics.compressed.bytesIn += end - start;
    return this.z.write(Buffer.from(buf.subarray(start, end)));
  }

  clientDrained(): void { this.z.resume(); }

  /** No more body: the encoder flushes, the last chunk goes out, then `onFinished`. */
  end(): void { this.z.end(); }

  destroy(): void { this.z.destroy(); }
}
