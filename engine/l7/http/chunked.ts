// Chunked transfer coding (RFC 9112 7.1) as a byte-counting state machine: it finds where a
// chunked body ends without copying it, so the proxy can pass the bytes through unchanged.
// Only size lines and trailers are walked byte by byte; chunk data is skipped by count. An
// optional callback receives the data ranges, which is all decoding needs.
//
// The proxy forwards the body as it came and reads the next request where this scanner says the
// body ends, so it must never accept bytes a server behind it could frame otherwise: extensions
// are read by their grammar (token names, token or quoted-string values, BWS only around ';' and
// '='), trailer lines as field lines (a token, ':', field text), every line ended by CRLF.
import { HttpError } from './http-error.js';
import { FIELD_TEXT_CHARS, HEX_VALUES, QDTEXT_CHARS, TOKEN_CHARS } from './chars.js';

const enum St {
  BAD = -1, // no state takes this char
  SIZE, SIZE_MORE,
  // chunk-ext = *( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] ), RFC 9112 7.1.1
  EXT_SEMI, // BWS after the size: a ';' must follow
  EXT_NAME_START, EXT_NAME, EXT_AFTER_NAME, EXT_VALUE_START, EXT_VALUE, EXT_QUOTED, EXT_QUOTED_PAIR, EXT_AFTER_VALUE,
  SIZE_LF, DATA, DATA_CR, DATA_LF,
  TRAILER_START, TRAILER_NAME, TRAILER_VALUE, TRAILER_LF, FINAL_LF, DONE,
}

const isBws = (c: number): boolean => c === 32 || c === 9;

export type DataSink = (buf: Buffer, start: number, end: number) => void;

export class ChunkedScanner {
  private state = St.SIZE;
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

  get done(): boolean { return this.state === St.DONE; }

  /** Consumes bytes of buf[start..end) that belong to the body; returns how many. */
  consume(buf: Buffer, start: number, end: number): number {
    let i = start;
    while (i < end) {
      const state = this.state;
      if (state === St.DATA) {
        const take = Math.min(this.size, end - i);
        if (this.onData !== undefined && take > 0) this.onData(buf, i, i + take);
        i += take;
        this.size -= take;
        if (this.size === 0) this.state = St.DATA_CR;
        continue;
      }
      if (state === St.DONE) break;
      const c = buf[i++];
      if (state <= St.SIZE_MORE) this.sizeChar(state, c);
      else if (state <= St.EXT_AFTER_VALUE) this.extensionChar(state, c);
      else if (state >= St.TRAILER_START) this.trailerChar(state, c);
      else this.lineChar(state, c);
    }
    return i - start;
  }

  private sizeChar(state: St, c: number): void {
    const h = c < 128 ? HEX_VALUES[c] : -1;
    if (h >= 0) {
      if (++this.digits > 13) throw this.fail('A chunk size is too large.');
      this.size = this.size * 16 + h;
      this.state = St.SIZE_MORE;
    } else if (state === St.SIZE_MORE && c === 13) this.state = St.SIZE_LF;
    else if (state === St.SIZE_MORE && (c === 59 || isBws(c))) {
      this.state = c === 59 ? St.EXT_NAME_START : St.EXT_SEMI;
      this.lineBytes = 0;
    } else throw this.fail('A chunk size line is malformed.');
  }

  // One char of a size line's extensions, checked against their grammar.
  private extensionChar(state: St, c: number): void {
    if (++this.lineBytes > 4096) throw this.fail('A chunk extension is too long.');
    let next = St.BAD;
    switch (state) {
      case St.EXT_SEMI:
        next = isBws(c) ? St.EXT_SEMI : c === 59 ? St.EXT_NAME_START : St.BAD;
        break;
      case St.EXT_NAME_START:
        next = isBws(c) ? St.EXT_NAME_START : TOKEN_CHARS[c] === 1 ? St.EXT_NAME : St.BAD;
        break;
      case St.EXT_NAME: case St.EXT_AFTER_NAME:
        if (TOKEN_CHARS[c] === 1 && state === St.EXT_NAME) next = St.EXT_NAME;
        else if (isBws(c)) next = St.EXT_AFTER_NAME;
        else if (c === 61) next = St.EXT_VALUE_START;
        else next = this.extensionEnd(c);
        break;
      case St.EXT_VALUE_START:
        next = isBws(c) ? St.EXT_VALUE_START : c === 34 ? St.EXT_QUOTED : TOKEN_CHARS[c] === 1 ? St.EXT_VALUE : St.BAD;
        break;
      case St.EXT_VALUE:
        next = TOKEN_CHARS[c] === 1 ? St.EXT_VALUE : isBws(c) ? St.EXT_AFTER_VALUE : this.extensionEnd(c);
        break;
      case St.EXT_QUOTED:
        next = c === 34 ? St.EXT_AFTER_VALUE : c === 92 ? St.EXT_QUOTED_PAIR : QDTEXT_CHARS[c] === 1 ? St.EXT_QUOTED : St.BAD;
        break;
      case St.EXT_QUOTED_PAIR:
        next = FIELD_TEXT_CHARS[c] === 1 ? St.EXT_QUOTED : St.BAD;
        break;
      default: // EXT_AFTER_VALUE
        next = isBws(c) ? St.EXT_AFTER_VALUE : this.extensionEnd(c);
    }
    if (next === St.BAD) throw this.fail('A chunk extension is malformed.');
    this.state = next;
  }

  // After an extension's name or value: another extension, or the end of the line.
  private extensionEnd(c: number): St {
    return c === 59 ? St.EXT_NAME_START : c === 13 ? St.SIZE_LF : St.BAD;
  }

  // The CRLF after a size line and after a chunk's data.
  private lineChar(state: St, c: number): void {
    switch (state) {
      case St.SIZE_LF:
        if (c !== 10) throw this.fail('A chunk size line is not ended by CRLF.');
        this.digits = 0;
        if (this.size === 0) { this.state = St.TRAILER_START; this.trailerBytes = 0; break; }
        this.dataBytes += this.size;
        if (this.dataBytes > this.maxDataBytes) throw new HttpError(413, 'ERR_HTTP_BODY_TOO_LARGE', 'The chunked body is larger than allowed.');
        this.state = St.DATA;
        break;
      case St.DATA_CR:
        if (c !== 13) throw this.fail('Chunk data is not followed by CRLF.');
        this.state = St.DATA_LF;
        break;
      default: // DATA_LF
        if (c !== 10) throw this.fail('Chunk data is not followed by CRLF.');
        this.state = St.SIZE;
    }
  }

  // One char of the trailer section: field lines (name, ':', field text) up to an empty line.
  private trailerChar(state: St, c: number): void {
    this.countTrailer();
    let next = St.BAD;
    switch (state) {
      case St.TRAILER_START: next = c === 13 ? St.FINAL_LF : TOKEN_CHARS[c] === 1 ? St.TRAILER_NAME : St.BAD; break;
      case St.TRAILER_NAME: next = TOKEN_CHARS[c] === 1 ? St.TRAILER_NAME : c === 58 ? St.TRAILER_VALUE : St.BAD; break;
      case St.TRAILER_VALUE: next = FIELD_TEXT_CHARS[c] === 1 ? St.TRAILER_VALUE : c === 13 ? St.TRAILER_LF : St.BAD; break;
      case St.TRAILER_LF: next = c === 10 ? St.TRAILER_START : St.BAD; break;
      default: // FINAL_LF
        if (c !== 10) throw this.fail('The chunked body is not ended by CRLF.');
        next = St.DONE;
    }
    if (next === St.BAD) throw this.fail('A trailer line is malformed.');
    this.state = next;
  }

  private countTrailer(): void {
    if (++this.trailerBytes > this.maxTrailerBytes) throw new HttpError(this.errorStatus === 400 ? 431 : 502, 'ERR_HTTP_TRAILERS_TOO_LARGE', 'The trailer section is larger than allowed.');
  }

  private fail(message: string): HttpError {
    return new HttpError(this.errorStatus, 'ERR_HTTP_BAD_CHUNK', message);
  }
}
