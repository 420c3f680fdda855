// Body framing after a head: nothing, a Content-Length count, chunked, or until the peer closes.
// consume() says how many bytes of a read belong to this body; the rest is the next message.
import { ChunkedScanner, type DataSink } from './chunked.js';

export type BodyKind = 'none' | 'length' | 'chunked' | 'close';

export class BodyFramer {
  private remaining: number;
  private readonly chunked: ChunkedScanner | undefined;
  /**
   * `onData`: told of the body's data as it passes (without chunk framing); `maxChunkedBytes`:
   * the most data a chunked body may carry (413 beyond; a length is checked by the caller).
   */
  constructor(readonly kind: BodyKind, length: number, errorStatus: number, private readonly onData?: DataSink, maxChunkedBytes = Infinity) {
    this.remaining = kind === 'length' ? length : 0;
    this.chunked = kind === 'chunked' ? new ChunkedScanner(errorStatus, 16384, onData, maxChunkedBytes) : undefined;
  }

  /** True once the whole body has passed (never for 'close': the peer's FIN ends it). */
  get done(): boolean {
    if (this.kind === 'none') return true;
    if (this.kind === 'length') return this.remaining === 0;
    if (this.kind === 'chunked') return this.chunked!.done;
    return false;
  }

  consume(buf: Buffer, start: number, end: number): number {
    switch (this.kind) {
      case 'none': return 0;
      case 'length': {
        const take = Math.min(this.remaining, end - start);
        this.remaining -= take;
        if (this.onData !== undefined && take > 0) this.onData(buf, start, start + take);
        return take;
      }
      case 'chunked': return this.chunked!.consume(buf, start, end);
      default:
        if (this.onData !== undefined && end > start) this.onData(buf, start, end);
        return end - start;
    }
  }
}

// An empty body has no state: every request without one shares this framer.
const NO_BODY = new BodyFramer('none', 0, 400);

/** Request bodies: chunked, a length, or none (RFC 9112 6.3: never until-close). A chunked body
 *  whose data passes `maxBytes` throws 413 when the chunk that passes it is announced. */
export function requestBody(head: { chunked: boolean; contentLength: number }, maxBytes = Infinity): BodyFramer {
  if (head.chunked) return new BodyFramer('chunked', 0, 400, undefined, maxBytes);
  if (head.contentLength > 0) return new BodyFramer('length', head.contentLength, 400);
  return NO_BODY;
}
