// Chunked transfer coding (RFC 9112 7.1) as a byte-counting state machine: it finds where a
// chunked body ends without copying it, so the proxy can pass the bytes through unchanged.
// Only size lines and trailers are walked byte by byte; chunk data is skipped by count. An
// optional callback receives the data ranges, which is all decoding needs.
import { HttpError } from './http-error.js';

const SIZE = 0, SIZE_MORE = 1, EXT = 2, SIZE_LF = 3, DATA = 4, DATA_CR = 5, DATA_LF = 6,
  TRAILER_START = 7, TRAILER = 8, TRAILER_LF = 9, FINAL_LF = 10, DONE = 11;

const HEX = new Int8Array(128).fill(-1);
for (let i = 0; i < 16; i++) { HEX['0123456789abcdef'.charCodeAt(i)] = i; HEX['0123456789ABCDEF'.charCodeAt(i)] = i; }

export type DataSink = (buf: Buffer, start: number, end: number) => void;

export class ChunkedScanner {
  private state = SIZE;
  private size = 0;
  private digits = 0;
  private lineBytes = 0;
  private trailerBytes = 0;
  /** Data bytes the size lines have announced so far. */
  private dataBytes = 0;
  /**
   * `errorStatus`: the status to send if the coding is broken, 400 for a request body, 502 for a
   * response. A size line that takes the data past `maxDataBytes` throws 413 before any of that
   * chunk's data passes.
   */
  constructor(private readonly errorStatus: number, private readonly maxTrailerBytes = 16384, private readonly onData?: DataSink,
    private readonly maxDataBytes = Infinity) {}

  get done(): boolean { return this.state === DONE; }

  /** Consumes bytes of buf[start..end) that belong to the body; returns how many. */
  consume(buf: Buffer, start: number, end: number): number {
    let i = start;
    while (i < end) {
      const state = this.state;
      if (state === DATA) {
        const take = Math.min(this.size, end - i);
        if (this.onData !== undefined && take > 0) this.onData(buf, i, i + take);
        i += take;
        this.size -= take;
        if (this.size === 0) this.state = DATA_CR;
        continue;
      }
      if (state === DONE) break;
      const c = buf[i++];
      switch (state) {
        case SIZE: case SIZE_MORE: {
          const h = c < 128 ? HEX[c] : -1;
          if (h >= 0) {
            if (++this.digits > 13) throw this.fail('A chunk size is too large.');
            this.size = this.size * 16 + h;
            this.state = SIZE_MORE;
          } else if (state === SIZE_MORE && c === 13) this.state = SIZE_LF;
          else if (state === SIZE_MORE && (c === 59 || c === 32 || c === 9)) { this.state = EXT; this.lineBytes = 0; }
          else throw this.fail('A chunk size line is malformed.');
          break;
        }
        case EXT:
          if (c === 13) this.state = SIZE_LF;
          else if (c === 10 || ++this.lineBytes > 4096) throw this.fail('A chunk extension is malformed or too long.');
          break;
        case SIZE_LF:
          if (c !== 10) throw this.fail('A chunk size line is not ended by CRLF.');
          this.digits = 0;
          if (this.size === 0) { this.state = TRAILER_START; this.trailerBytes = 0; break; }
          this.dataBytes += this.size;
          if (this.dataBytes > this.maxDataBytes) throw new HttpError(413, 'ERR_HTTP_BODY_TOO_LARGE', 'The chunked body is larger than allowed.');
          this.state = DATA;
          break;
        case DATA_CR:
          if (c !== 13) throw this.fail('Chunk data is not followed by CRLF.');
          this.state = DATA_LF;
          break;
        case DATA_LF:
          if (c !== 10) throw this.fail('Chunk data is not followed by CRLF.');
          this.state = SIZE;
          break;
        case TRAILER_START:
          if (c === 13) this.state = FINAL_LF;
          else if (c === 10 || c === 32 || c === 9) throw this.fail('A trailer line is malformed.');
          else this.state = TRAILER;
          this.countTrailer();
          break;
        case TRAILER:
          if (c === 13) this.state = TRAILER_LF;
          else if (c === 10) throw this.fail('A trailer line is malformed.');
          this.countTrailer();
          break;
        case TRAILER_LF:
          if (c !== 10) throw this.fail('A trailer line is not ended by CRLF.');
          this.state = TRAILER_START;
          this.countTrailer();
          break;
        case FINAL_LF:
          if (c !== 10) throw this.fail('The chunked body is not ended by CRLF.');
          this.state = DONE;
          break;
      }
    }
    return i - start;
  }

  private countTrailer(): void {
    if (++this.trailerBytes > this.maxTrailerBytes) throw new HttpError(this.errorStatus === 400 ? 431 : 502, 'ERR_HTTP_TRAILERS_TOO_LARGE', 'The trailer section is larger than allowed.');
  }

  private fail(message: string): HttpError {
    return new HttpError(this.errorStatus, 'ERR_HTTP_BAD_CHUNK', message);
  }
}
