// Strict HTTP/1.1 head parsers (RFC 9112) over Buffers, incremental and pipelining-safe.
// The end of a head is found with Buffer.indexOf (native memmem); the head is then read once
// as a latin1 string and walked once: each field line's name through a token table, its value
// through a field-text table (which stops at control bytes, so at the CRLF that ends the line),
// so every byte is checked and every line end found in the same pass, with no indexOf per line
// and no per-byte regex. Everything a caller must know for framing and forwarding is derived
// here, so the proxy never re-reads headers. Field names are matched by length and a
// case-folding compare (no toLowerCase, no regex per field). Only the values the proxy acts on
// become strings (Host, Cookie, ...); a head's names and values as lists are split from its text
// on first use (hash on a header, a CDN route, a 101), which most requests never make.
import { HttpError, badRequest } from './http-error.js';
import type { HeadLimits } from './limits.js';
import { FIELD_TEXT_CHARS, TOKEN_CHARS } from './chars.js';

const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1');
// Bytes a head must not hold: control characters but HTAB; CR and LF only as a CRLF pair.
const CTL_BAD = 1, CTL_CR = 2, CTL_LF = 3;
const CTL = new Uint8Array(256);
for (let c = 0; c < 32; c++) CTL[c] = CTL_BAD;
CTL[9] = 0;
CTL[13] = CTL_CR;
CTL[10] = CTL_LF;
CTL[127] = CTL_BAD;

/**
 * True when buf[start, end) holds a control character or a bare CR or LF. Only on the way to an
 * error: such a byte is reported first, whatever else is wrong with the head.
 */
function hasForbiddenByte(buf: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const k = CTL[buf[i]];
    if (k === 0) continue;
    if (k === CTL_CR ? buf[i + 1] !== 10 : k === CTL_LF ? i === start || buf[i - 1] !== 13 : true) return true;
  }
  return false;
}
const BAD_TARGET = /[\x00-\x20\x7f-\uffff]/;

// Field values and reason phrases are field text. Local consts: the walks below read them per
// byte, and an imported binding is read through a cell with a TDZ check at every use.
const TOKEN = TOKEN_CHARS;
const FIELD_TEXT = FIELD_TEXT_CHARS;

// The per-byte walks read the head's bytes, not its text: a typed-array load costs less than charCodeAt.
/** The first index from `i` in buf that is not field text (a complete head ends in CRLFCRLF, so one is found). */
function fieldTextEnd(buf: Buffer, i: number): number {
  while (FIELD_TEXT[buf[i]] === 1) i++;
  return i;
}

/** The first index from `i` in buf that is not a token character. */
function tokenEnd(buf: Buffer, i: number): number {
  while (TOKEN[buf[i]] === 1) i++;
  return i;
}

/** Fields common to request and response heads. */
export interface HeadFields {
  /** Header names and values as received (values trimmed of OWS), same index: split from `text` on first use. */
  readonly names: string[];
  readonly values: string[];
  /** Indexes of fields a proxy must not forward (hop-by-hop, or named in Connection). */
  hop: number[];
  /** -1 when absent. */
  contentLength: number;
  chunked: boolean;
  /** Connection: close seen (or HTTP/1.0 without keep-alive). */
  close: boolean;
  /** Connection: keep-alive seen. */
  keepAliveToken: boolean;
  /** Connection: upgrade together with an Upgrade field: the protocol asked for. */
  upgrade: string | undefined;
  /**
   * Content-Length came in a form other than one field of digits after one space (a list of
   * identical values, a repeat, tabs or other whitespace): its fields are in `hop`, and the proxy
   * sends the length on restated, as `Content-Length: contentLength`.
   */
  restateLength: boolean;
  readonly minor: number;
  /** Bytes from the start of the head through the final CRLFCRLF. */
  readonly headBytes: number;
  /** Offset in `text` of the first field line (what follows the first line's CRLF). */
  readonly fieldsAt: number;
  /** The head as latin1 text, from its first line through the CRLF of its last field line (heads leave rebuilt from it). */
  readonly text: string;
}

/** The value of the first field of `h` named `lower` (given in lower case), or undefined. */
export function fieldValue(h: HeadFields, lower: string): string | undefined {
  const names = h.names;
  for (let i = 0; i < names.length; i++) if (names[i].length === lower.length && names[i].toLowerCase() === lower) return h.values[i];
  return undefined;
}

export interface RequestHead extends HeadFields {
  readonly method: string;
  /** The request target; in origin form ("/path?query") when it came in absolute form. */
  readonly target: string;
  /** The Host field's value; or, when the target came in absolute form, its authority (RFC 9112 3.2.2: the Host field is then ignored). */
  host: string | undefined;
  /**
   * The target came in absolute form ("http://host/path"): `target` and `host` hold its origin
   * form and authority, the Host fields are in `hop`, and the proxy restates the request line and
   * Host when it forwards, so that routing rules, the back-end and the cache all see one host and path.
   */
  absoluteForm: boolean;
  cookie: string | undefined;
  xForwardedFor: string | undefined;
  forwarded: string | undefined;
  keepAlive: boolean;
}

export interface ResponseHead extends HeadFields {
  readonly status: number;
  readonly reason: string;
  /** Set-Cookie values, for session-ID learning. */
  setCookies: string[] | undefined;
  location: string | undefined;
}

/** What every parsed head holds; the lists of names and values are made only when asked for. */
class ParsedHead implements HeadFields {
  hop: number[] = [];
  contentLength = -1;
  chunked = false;
  close = false;
  keepAliveToken = false;
  upgrade: string | undefined = undefined;
  restateLength = false;
  private fields: { names: string[]; values: string[] } | undefined = undefined;
  constructor(readonly text: string, readonly fieldsAt: number, readonly headBytes: number, readonly minor: number) {}
  get names(): string[] { return (this.fields ??= splitFields(this.text, this.fieldsAt)).names; }
  get values(): string[] { return (this.fields ??= splitFields(this.text, this.fieldsAt)).values; }
}

class ParsedRequest extends ParsedHead implements RequestHead {
  host: string | undefined = undefined;
  cookie: string | undefined = undefined;
  xForwardedFor: string | undefined = undefined;
  forwarded: string | undefined = undefined;
  keepAlive = false;
  absoluteForm = false;
  constructor(text: string, fieldsAt: number, headBytes: number, minor: number, readonly method: string, readonly target: string) {
    super(text, fieldsAt, headBytes, minor);
  }
}

class ParsedResponse extends ParsedHead implements ResponseHead {
  setCookies: string[] | undefined = undefined;
  location: string | undefined = undefined;
  constructor(text: string, fieldsAt: number, headBytes: number, minor: number, readonly status: number) {
    super(text, fieldsAt, headBytes, minor);
  }
  /** The status line's reason phrase ("HTTP/1.1 200 " is 13 characters). */
  get reason(): string { return this.text.slice(13, this.fieldsAt - 2); }
}

/** The field lines of a parsed (so well-formed) head as names and OWS-trimmed values. */
function splitFields(text: string, pos: number): { names: string[]; values: string[] } {
  const names: string[] = [];
  const values: string[] = [];
  while (pos < text.length) {
    const eol = text.indexOf('\r\n', pos);
    const colon = text.indexOf(':', pos);
    const a = owsEnd(text, colon + 1, eol);
    names.push(text.slice(pos, colon));
    values.push(text.slice(a, owsStart(text, a, eol)));
    pos = eol + 2;
  }
  return { names, values };
}

/** The first index in s[a, b) past spaces and tabs (b when there is none). */
function owsEnd(s: string, a: number, b: number): number {
  while (a < b && (s.charCodeAt(a) === 32 || s.charCodeAt(a) === 9)) a++;
  return a;
}

/** The end of s[a, b) less its trailing spaces and tabs. */
function owsStart(s: string, a: number, b: number): number {
  while (b > a && (s.charCodeAt(b - 1) === 32 || s.charCodeAt(b - 1) === 9)) b--;
  return b;
}

/** A complete head: its text, and the bytes it was read from (the text is buf[headStart..]). */
interface Scan { buf: Buffer; head: string; headStart: number; headBytes: number }

/**
 * Finds a complete head in buf[start..]; null when more bytes are needed. `searchFrom` lets a
 * caller that appends chunks avoid rescanning (pass the previous length).
 */
function scanHead(buf: Buffer, start: number, limits: HeadLimits, isRequest: boolean, searchFrom: number): Scan | null {
  // RFC 9112 2.2: ignore empty lines before a request line.
  if (isRequest) while (start + 1 < buf.length && buf[start] === 13 && buf[start + 1] === 10) start += 2;
  const end = buf.indexOf(CRLFCRLF, Math.max(start, searchFrom - 3));
  if (end < 0) {
    const have = buf.length - start;
    if (have > limits.maxHeaderBytes) throw new HttpError(431, 'ERR_HTTP_HEADERS_TOO_LARGE', 'The request head is larger than allowed.');
    const firstLf = buf.indexOf(10, start);
    if ((firstLf < 0 ? have : firstLf - start) > limits.maxLineBytes) throw lineTooLong(isRequest);
    return null;
  }
  const headBytes = end + 4 - start;
  if (headBytes > limits.maxHeaderBytes) throw new HttpError(431, 'ERR_HTTP_HEADERS_TOO_LARGE', 'The request head is larger than allowed.');
  return { buf, head: buf.toString('latin1', start, end + 2), headStart: start, headBytes };
}

function lineTooLong(isRequest: boolean): HttpError {
  return isRequest
    ? new HttpError(414, 'ERR_HTTP_URI_TOO_LONG', 'The request line is longer than allowed.')
    : badResponse('The status line is longer than allowed.');
}

function badResponse(message: string): HttpError {
  return new HttpError(502, 'ERR_HTTP_BAD_RESPONSE', message);
}

// The fields the parsers act on; any other name is F_OTHER (forwarded as it is).
const F_OTHER = 0, F_CONTENT_LENGTH = 1, F_TRANSFER_ENCODING = 2, F_CONNECTION = 3, F_UPGRADE = 4, F_HOP = 5, F_PROXY = 6,
  F_HOST = 7, F_COOKIE = 8, F_X_FORWARDED_FOR = 9, F_FORWARDED = 10, F_X_FORWARDED_PROTO = 11, F_SET_COOKIE = 12, F_LOCATION = 13;
/**
 * A field name the parsers act on: `lower` case, the `canonical` spelling most peers send
 * ("Content-Length"), its first letter's code, and its kind.
 */
interface KnownName { readonly lower: string; readonly canonical: string; readonly first: number; readonly kind: number }
const KNOWN_BY_LENGTH: KnownName[][] = [];
for (const [lower, kind] of [['content-length', F_CONTENT_LENGTH], ['transfer-encoding', F_TRANSFER_ENCODING], ['connection', F_CONNECTION],
  ['upgrade', F_UPGRADE], ['keep-alive', F_HOP], ['te', F_HOP], ['trailer', F_HOP], ['proxy-connection', F_HOP], ['host', F_HOST],
  ['cookie', F_COOKIE], ['x-forwarded-for', F_X_FORWARDED_FOR], ['forwarded', F_FORWARDED], ['x-forwarded-proto', F_X_FORWARDED_PROTO],
  ['set-cookie', F_SET_COOKIE], ['location', F_LOCATION]] as Array<[string, number]>) {
  const canonical = lower.replace(/(^|-)([a-z])/g, (_m, dash: string, letter: string) => dash + letter.toUpperCase());
  (KNOWN_BY_LENGTH[lower.length] ??= []).push({ lower, canonical, first: lower.charCodeAt(0), kind });
}

/** s[at..] starts with `lower` (lower-case letters and '-'), ignoring case: for token chars, c | 32 folds only letters onto them. */
function startsWithFolded(s: string, at: number, lower: string): boolean {
  for (let i = 0; i < lower.length; i++) if ((s.charCodeAt(at + i) | 32) !== lower.charCodeAt(i)) return false;
  return true;
}

/** s[start, end) is `lower`, ignoring case. */
function isFolded(s: string, start: number, end: number, lower: string): boolean {
  return end - start === lower.length && startsWithFolded(s, start, lower);
}

/** The decimal digit at s[i], or -1. */
function digitAt(s: string, i: number): number {
  const d = s.charCodeAt(i) - 48;
  return d >= 0 && d <= 9 ? d : -1;
}

/** The number s[a, b) spells in 1 to 15 decimal digits (a length a double holds exactly), or -1. */
function lengthIn(s: string, a: number, b: number): number {
  if (b <= a || b - a > 15) return -1;
  let n = 0;
  for (let i = a; i < b; i++) {
    const d = digitAt(s, i);
    if (d < 0) return -1;
    n = n * 10 + d;
  }
  return n;
}

/** The kind of the field named head[start, end) (a token). */
function fieldKind(head: string, start: number, end: number): number {
  const n = end - start;
  const known = KNOWN_BY_LENGTH[n];
  if (known !== undefined) {
    // Most names fail on their first letter; a known one is usually spelled canonically, which one
    // string equality finds (V8 inlines startsWith as a loop that reads both strings char by char).
    const first = head.charCodeAt(start) | 32;
    for (let i = 0; i < known.length; i++) {
      const k = known[i];
      if (k.first === first && (head.slice(start, end) === k.canonical || startsWithFolded(head, start, k.lower))) return k.kind;
    }
  }
  return n > 6 && startsWithFolded(head, start, 'proxy-') ? F_PROXY : F_OTHER;
}

/** Acts on a field the common parser leaves to the request or response parser: value head[a, b). */
type FieldHandler<T> = (out: T, kind: number, head: string, a: number, b: number, index: number) => void;

/**
 * Parses the field lines of `head` from `pos` into `out`; throws HttpError. Values become strings
 * only for the fields acted on. Module-level handlers: no closure is created per parsed head.
 * `interim`: a 1xx response, which must announce no body.
 */
function parseFields<T extends ParsedHead>(scan: Scan, pos: number, limits: HeadLimits, out: T, fail: (code: string, m: string) => HttpError,
  onField: FieldHandler<T>, interim: boolean): void {
  const { buf, head, headStart: base } = scan;
  let connection: string | undefined;
  let te: string | undefined;
  let upgradeField: string | undefined;
  let lengthField = -1; // the index of the first Content-Length field
  for (let index = 0; pos < head.length; index++) {
    const colon = tokenEnd(buf, base + pos) - base;
    if (index >= limits.maxHeaderCount || colon === pos || buf[base + colon] !== 58 /* : */) throw badLine(head, pos, index, limits, fail);
    // A value ends at its first byte that is not field text, which must be the line's CRLF.
    const eol = fieldTextEnd(buf, base + colon + 1) - base;
    if (buf[base + eol] !== 13 || buf[base + eol + 1] !== 10) throw fail('ERR_HTTP_BAD_HEADER', 'A header line is malformed.');
    if (eol - pos > limits.maxLineBytes) throw badLine(head, pos, index, limits, fail);
    const kind = fieldKind(head, pos, colon);
    pos = eol + 2;
    if (kind === F_OTHER) continue; // forwarded as it came: its value is not looked at
    const a = owsEnd(head, colon + 1, eol);
    const b = owsStart(head, a, eol);
    switch (kind) {
      case F_CONTENT_LENGTH:
        if (lengthField < 0) lengthField = index;
        contentLengthField(out, head, colon, a, b, eol, index, lengthField, fail);
        break;
      case F_TRANSFER_ENCODING:
        te = withCodings(te, head, a, b, fail);
        out.hop.push(index);
        break;
      case F_CONNECTION:
        connection = connection === undefined ? head.slice(a, b) : `${connection}, ${head.slice(a, b)}`;
        out.hop.push(index);
        break;
      case F_UPGRADE:
        // An empty Upgrade field asks for no protocol (as llhttp reads it too): no upgrade.
        if (b > a) upgradeField = head.slice(a, b);
        out.hop.push(index);
        break;
      case F_HOP: case F_PROXY:
        out.hop.push(index);
        break;
      default:
        onField(out, kind, head, a, b, index);
    }
  }
  if (te !== undefined) {
    if (!isFolded(te, 0, te.length, 'chunked') && !onlyChunked(te)) {
      if (fail === failResponse) throw fail('ERR_HTTP_UNSUPPORTED_TE', 'Only the chunked transfer coding is supported.');
      throw new HttpError(501, 'ERR_HTTP_UNSUPPORTED_TE', 'Only the chunked transfer coding is supported.');
    }
    if (out.contentLength >= 0) throw fail('ERR_HTTP_SMUGGLING', 'Content-Length and Transfer-Encoding must not both be sent.');
    out.chunked = true;
  }
  if (connection !== undefined) connectionTokens(connection, out, upgradeField, fail);
  // A 1xx never has a body (RFC 9112 6.3) nor may announce one (RFC 9110 8.6, RFC 9112 6.1): a
  // reader that does not know its status would read one (llhttp, node's, for 104-199). Checked
  // here: in readResponse the check measured about 100 more instructions a request (callgrind).
  if (interim && (out.contentLength > 0 || out.chunked)) throw fail('ERR_HTTP_BAD_RESPONSE', 'An interim (1xx) response announces a body.');
}

/**
 * The Content-Length field at `index` (line head[.., eol), value head[a, b), its colon at `colon`);
 * `first`: the index of the first one. Sent on as it came only as one field of digits after one
 * space: strict readers (llhttp, node's) refuse a list or a repeat, and some take a tab for part of
 * the value; any other form goes into `hop` and is restated (RFC 9110 8.6 lets a recipient replace
 * identical values by one). Out of line, as the other fields' rarer work.
 */
function contentLengthField(out: HeadFields, head: string, colon: number, a: number, b: number, eol: number, index: number, first: number,
  fail: (code: string, m: string) => HttpError): void {
  const n = lengthIn(head, a, b);
  if (n < 0) {
    // RFC 9112 6.3: a list of identical values may be taken as one.
    const parts = head.slice(a, b).split(',').map((p) => p.trim());
    if (!parts.every((p) => lengthIn(p, 0, p.length) >= 0 && p === parts[0])) throw fail('ERR_HTTP_CONTENT_LENGTH', 'Content-Length is not a valid number.');
    setLength(out, Number(parts[0]), fail);
  } else setLength(out, n, fail);
  const repeated = first !== index;
  if (n < 0 || repeated || a !== colon + 2 || b !== eol || head.charCodeAt(colon + 1) !== 32) {
    if (!out.restateLength && repeated) out.hop.push(first);
    out.restateLength = true;
    out.hop.push(index);
  }
}

/** Why the field line at `pos` (the `index`th) is refused, in the order limits and form are checked: its length, the field count, its form. */
function badLine(head: string, pos: number, index: number, limits: HeadLimits, fail: (code: string, m: string) => HttpError): HttpError {
  if (head.indexOf('\r\n', pos) - pos > limits.maxLineBytes) return new HttpError(431, 'ERR_HTTP_HEADERS_TOO_LARGE', 'A header line is longer than allowed.');
  if (index >= limits.maxHeaderCount) return new HttpError(431, 'ERR_HTTP_HEADERS_TOO_LARGE', 'The head has more header fields than allowed.');
  return fail('ERR_HTTP_BAD_HEADER', 'A header line is malformed.');
}

/**
 * The Transfer-Encoding list so far (`te`) with the field value head[a, b) added. A value of empty
 * list elements only (",") names no coding: llhttp takes it for one (not chunked), so a peer behind
 * or before the proxy could frame the message otherwise; refused.
 */
function withCodings(te: string | undefined, head: string, a: number, b: number, fail: (code: string, m: string) => HttpError): string {
  if (b > a && !namesListElement(head, a, b)) throw fail('ERR_HTTP_SMUGGLING', 'A Transfer-Encoding field names no coding.');
  return te === undefined ? head.slice(a, b) : `${te}, ${head.slice(a, b)}`;
}

/** s[a, b) holds a list element: a character other than a comma, space or tab. */
function namesListElement(s: string, a: number, b: number): boolean {
  for (let i = a; i < b; i++) {
    const c = s.charCodeAt(i);
    if (c !== 44 && c !== 32 && c !== 9) return true;
  }
  return false;
}

/** A Transfer-Encoding list other than one "chunked" alone: true when its only coding is chunked. */
function onlyChunked(te: string): boolean {
  const codings = te.toLowerCase().split(',').map((s) => s.trim()).filter((s) => s !== '');
  return codings.length === 1 && codings[0] === 'chunked';
}

/** Applies the Connection tokens; the usual ones are compared in place (no string per token). */
function connectionTokens(value: string, out: HeadFields, upgradeField: string | undefined, fail: (code: string, m: string) => HttpError): void {
  // The values nearly every peer sends, as they send them.
  if (value === 'keep-alive') { out.keepAliveToken = true; return; }
  if (value === 'close') { out.close = true; return; }
  for (let from = 0; from <= value.length;) {
    let comma = value.indexOf(',', from);
    if (comma < 0) comma = value.length;
    const a = owsEnd(value, from, comma);
    const b = owsStart(value, a, comma);
    from = comma + 1;
    if (isFolded(value, a, b, 'close')) out.close = true;
    else if (isFolded(value, a, b, 'keep-alive')) out.keepAliveToken = true;
    else if (isFolded(value, a, b, 'upgrade')) out.upgrade = upgradeField;
    else if (b > a) namedHopByHop(value, a, b, out, fail);
  }
}

/** Any field named in Connection (value[a, b)) is hop-by-hop too (RFC 9110 7.6.1). Out of line: few heads name one. */
function namedHopByHop(value: string, a: number, b: number, out: HeadFields, fail: (code: string, m: string) => HttpError): void {
  // RFC 9110 7.6.1 forbids naming a field meant for all recipients, and the proxy must not drop one
  // it framed or routed the message by: without the Content-Length the next hop would read the
  // body as the next message, without the Host it would pick a host the proxy did not route by.
  if ((out.contentLength >= 0 && isFolded(value, a, b, 'content-length')) || isFolded(value, a, b, 'host')) {
    throw fail('ERR_HTTP_SMUGGLING', 'Connection names a field the message is framed or routed by.');
  }
  const tok = value.slice(a, b).toLowerCase();
  for (let i = 0; i < out.names.length; i++) if (out.names[i].toLowerCase() === tok && !out.hop.includes(i)) out.hop.push(i);
}

function setLength(out: HeadFields, n: number, fail: (code: string, m: string) => HttpError): void {
  if (out.contentLength >= 0 && out.contentLength !== n) throw fail('ERR_HTTP_SMUGGLING', 'Two different Content-Length values were sent.');
  out.contentLength = n;
}


/**
 * Parses one request head at buf[start..]. Returns null if the head is not complete yet.
 * Throws HttpError (400, 414, 431, 501, 505) for anything a strict server must refuse.
 */
export function parseRequestHead(buf: Buffer, start: number, limits: HeadLimits, searchFrom = 0): RequestHead | null {
  const scan = scanHead(buf, start, limits, true, searchFrom);
  if (scan === null) return null;
  try {
    return readRequest(scan, start, limits);
  } catch (e) {
    if (!hasForbiddenByte(buf, scan.headStart, scan.headStart + scan.headBytes)) throw e;
    throw badRequest('ERR_HTTP_BAD_HEADER', 'The request head holds a control character or a bare CR or LF.');
  }
}

function readRequest(scan: Scan, start: number, limits: HeadLimits): ParsedRequest {
  const { head } = scan;
  const eol = head.indexOf('\r\n');
  if (eol > limits.maxLineBytes) throw lineTooLong(true);
  // method SP target SP "HTTP/" digit "." digit (RFC 9112 3, 2.3), read in place.
  const sp1 = head.indexOf(' ');
  const sp2 = head.indexOf(' ', sp1 + 1);
  const sp3 = head.indexOf(' ', sp2 + 1);
  if (sp1 <= 0 || sp2 < 0 || sp2 > eol || (sp3 >= 0 && sp3 < eol)) throw badRequest('ERR_HTTP_BAD_REQUEST_LINE', 'The request line is malformed.');
  const major = digitAt(head, sp2 + 6);
  const minorDigit = digitAt(head, sp2 + 8);
  if (eol - sp2 !== 9 || !head.startsWith('HTTP/', sp2 + 1) || head.charCodeAt(sp2 + 7) !== 46 || major < 0 || minorDigit < 0
    || tokenEnd(scan.buf, scan.headStart) - scan.headStart !== sp1) {
    throw badRequest('ERR_HTTP_BAD_REQUEST_LINE', 'The request line is malformed.');
  }
  const method = head.slice(0, sp1);
  let target = head.slice(sp1 + 1, sp2);
  if (target === '' || BAD_TARGET.test(target)) throw badRequest('ERR_HTTP_BAD_REQUEST_LINE', 'The request line is malformed.');
  if (major !== 1) throw new HttpError(505, 'ERR_HTTP_VERSION', 'Only HTTP/1.0 and HTTP/1.1 are supported.');
  if (method === 'CONNECT') throw new HttpError(501, 'ERR_HTTP_METHOD', 'CONNECT is not supported by this reverse proxy.');
  const c0 = target.charCodeAt(0);
  if (c0 !== 47 /* / */ && !(target === '*' && method === 'OPTIONS') && !/^https?:\/\//i.test(target)) {
    throw badRequest('ERR_HTTP_BAD_REQUEST_LINE', 'The request target is malformed.');
  }
  let authority: string | undefined;
  if (c0 !== 47 && target !== '*') ({ authority, target } = originForm(method, target));
  const out = new ParsedRequest(head, eol + 2, scan.headBytes + scan.headStart - start, minorDigit >= 1 ? 1 : 0, method, target);
  parseFields(scan, eol + 2, limits, out, badRequest, requestField, false);
  if (out.host === undefined && out.minor === 1) throw badRequest('ERR_HTTP_HOST', 'An HTTP/1.1 request needs exactly one Host header.');
  if (authority !== undefined) takeAuthority(out, authority);
  if (out.chunked && out.minor === 0) throw badRequest('ERR_HTTP_SMUGGLING', 'HTTP/1.0 requests must not use Transfer-Encoding.');
  out.keepAlive = out.minor === 1 ? !out.close : out.keepAliveToken && !out.close;
  return out;
}

/** The characters of an authority (RFC 3986 3.2: host, IP literal, port), less '@': userinfo is refused (a target's, and a Host field's). */
const AUTHORITY_CHAR = new Uint8Array(128);
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:%[]") AUTHORITY_CHAR[c.charCodeAt(0)] = 1;

/** s[a, b) is made of authority characters (a loop: a regex test measured about 900 instructions a request). */
function isAuthority(s: string, a: number, b: number): boolean {
  for (let i = a; i < b; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || AUTHORITY_CHAR[c] === 0) return false;
  }
  return true;
}

/**
 * An absolute-form target ("http://host/path?query", scheme checked) as its authority and origin
 * form ("/path?query"; "*" for an OPTIONS of no path, RFC 9112 3.2.4). Left as it came, a rule on
 * a path prefix would not see the path (the target starts with "http://"), and the back-end,
 * which takes the target's host over the Host field (RFC 9112 3.2.2), could be sent a host the
 * proxy never routed by. Userinfo ("http://user@host/") is refused (RFC 9110 4.2.4), as an empty host.
 */
function originForm(method: string, target: string): { authority: string; target: string } {
  const from = target.indexOf('//') + 2;
  let end = from;
  while (end < target.length && target.charCodeAt(end) !== 47 /* / */ && target.charCodeAt(end) !== 63 /* ? */) end++;
  const authority = target.slice(from, end);
  if (authority === '' || !isAuthority(authority, 0, authority.length) || authority.charCodeAt(0) === 58 /* : */) throw badRequest('ERR_HTTP_BAD_REQUEST_LINE', 'The request target\'s host is malformed.');
  const rest = target.slice(end);
  return { authority, target: rest === '' ? (method === 'OPTIONS' ? '*' : '/') : rest.charCodeAt(0) === 63 ? `/${rest}` : rest };
}

/** A request in absolute form: its host is the target's authority, and its Host fields are not forwarded. */
function takeAuthority(out: ParsedRequest, authority: string): void {
  out.absoluteForm = true;
  out.host = authority;
  const names = out.names;
  for (let i = 0; i < names.length; i++) if (names[i].length === 4 && names[i].toLowerCase() === 'host') out.hop.push(i);
}

function requestField(out: ParsedRequest, kind: number, head: string, a: number, b: number, index: number): void {
  switch (kind) {
    case F_HOST:
      if (out.host !== undefined) throw badRequest('ERR_HTTP_HOST', 'An HTTP/1.1 request needs exactly one Host header.');
      // RFC 9110 7.2: an invalid Host value gets a 400. Routing reads it, and a back-end that parses
      // "a.example@b.example" or "a.example/x" as a URL authority would see another host.
      if (!isAuthority(head, a, b)) throw badRequest('ERR_HTTP_HOST', 'The Host header is not a valid host.');
      out.host = head.slice(a, b);
      break;
    case F_COOKIE: out.cookie = joined(out.cookie, '; ', head, a, b); break;
    case F_X_FORWARDED_FOR: out.xForwardedFor = joined(out.xForwardedFor, ', ', head, a, b); out.hop.push(index); break;
    case F_FORWARDED: out.forwarded = joined(out.forwarded, ', ', head, a, b); out.hop.push(index); break;
    // The proxy states the scheme it saw itself; a client's claim is dropped.
    case F_X_FORWARDED_PROTO: out.hop.push(index); break;
  }
}

/** head[a, b) after `before` and `separator`, or alone when there is nothing before. */
function joined(before: string | undefined, separator: string, head: string, a: number, b: number): string {
  return before === undefined ? head.slice(a, b) : `${before}${separator}${head.slice(a, b)}`;
}

function responseField(out: ParsedResponse, kind: number, head: string, a: number, b: number): void {
  if (kind === F_SET_COOKIE) (out.setCookies ??= []).push(head.slice(a, b));
  else if (kind === F_LOCATION) out.location = head.slice(a, b);
}

const failResponse = (_code: string, m: string): HttpError => badResponse(m);

/** Parses one response head at buf[start..]; null if incomplete. Throws HttpError(502) for a bad response. */
export function parseResponseHead(buf: Buffer, start: number, limits: HeadLimits, searchFrom = 0): ResponseHead | null {
  const scan = scanHead(buf, start, limits, false, searchFrom);
  if (scan === null) return null;
  try {
    return readResponse(scan, limits);
  } catch (e) {
    if (!hasForbiddenByte(buf, scan.headStart, scan.headStart + scan.headBytes)) throw e;
    throw badResponse('The response head holds a control character or a bare CR or LF.');
  }
}

function readResponse(scan: Scan, limits: HeadLimits): ParsedResponse {
  const { head } = scan;
  // The reason phrase is field text up to the line's CRLF.
  const eol = fieldTextEnd(scan.buf, scan.headStart + 9) - scan.headStart;
  if (head.charCodeAt(eol) !== 13 || head.charCodeAt(eol + 1) !== 10) throw badResponse('The status line is malformed.');
  // "HTTP/1.1 200 OK": version, one space, three digits, then a space and an optional reason; read in place.
  const minorCode = head.charCodeAt(7) - 48;
  const d0 = digitAt(head, 9);
  const d1 = digitAt(head, 10);
  const d2 = digitAt(head, 11);
  if (eol < 12 || !head.startsWith('HTTP/1.') || head.charCodeAt(8) !== 32 || (eol > 12 && head.charCodeAt(12) !== 32)
    || (minorCode !== 0 && minorCode !== 1) || d0 < 1 || d1 < 0 || d2 < 0) {
    throw badResponse('The status line is malformed.');
  }
  const status = d0 * 100 + d1 * 10 + d2;
  const out = new ParsedResponse(head, eol + 2, scan.headBytes, minorCode, status);
  parseFields(scan, eol + 2, limits, out, failResponse, responseField, status < 200);
  if (out.minor === 0 && !out.keepAliveToken) out.close = true;
  return out;
}

/** How the body after a response head is framed (RFC 9112 6.3). */
export function responseBodyKind(res: ResponseHead, requestMethod: string): 'none' | 'length' | 'chunked' | 'close' {
  if (requestMethod === 'HEAD' || res.status < 200 || res.status === 204 || res.status === 304) return 'none';
  if (res.chunked) return 'chunked';
  if (res.contentLength >= 0) return res.contentLength === 0 ? 'none' : 'length';
  return 'close';
}
