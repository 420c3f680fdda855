// Strict HTTP/1.1 head parsers (RFC 9112) over Buffers, incremental and pipelining-safe.
// The end of a head is found with Buffer.indexOf (native memmem); the head is then read once
// as a latin1 string and split with indexOf. One regex scan per head rejects control bytes and
// bare CR/LF; no per-byte regex. Everything a caller must know for framing and forwarding is
// derived here, so the proxy never re-reads headers. Field names are matched by length and a
// case-folding compare (no toLowerCase, no regex per field); bytes are checked by one table scan.
import { HttpError, badRequest } from './http-error.js';
import type { HeadLimits } from './limits.js';

const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1');
// Bytes a head must not hold: control characters but HTAB; CR and LF only as a CRLF pair.
const CTL_BAD = 1, CTL_CR = 2, CTL_LF = 3;
const CTL = new Uint8Array(256);
for (let c = 0; c < 32; c++) CTL[c] = CTL_BAD;
CTL[9] = 0;
CTL[13] = CTL_CR;
CTL[10] = CTL_LF;
CTL[127] = CTL_BAD;

/** True when buf[start, end) holds a control character or a bare CR or LF. */
function hasForbiddenByte(buf: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const k = CTL[buf[i]];
    if (k === 0) continue;
    if (k === CTL_CR ? buf[i + 1] !== 10 : k === CTL_LF ? i === start || buf[i - 1] !== 13 : true) return true;
  }
  return false;
}
const BAD_TARGET = /[\x00-\x20\x7f-\uffff]/;

const TOKEN = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") TOKEN[c.charCodeAt(0)] = 1;

export function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 127 || TOKEN[c] === 0) return false;
  }
  return true;
}

/** Fields common to request and response heads. */
export interface HeadFields {
  /** Header names and values as received (values trimmed of OWS), same index. */
  names: string[];
  values: string[];
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
  minor: number;
  /** Bytes from the start of the head through the final CRLFCRLF. */
  headBytes: number;
  /** Offset of the first field line from the start of the head (what follows the first line's CRLF). */
  fieldsAt: number;
  /** The head as latin1 text, from its first line through the CRLF of its last field line (heads leave rebuilt from it). */
  text: string;
}

export interface RequestHead extends HeadFields {
  method: string;
  target: string;
  host: string | undefined;
  cookie: string | undefined;
  xForwardedFor: string | undefined;
  forwarded: string | undefined;
  keepAlive: boolean;
}

export interface ResponseHead extends HeadFields {
  status: number;
  reason: string;
  /** Set-Cookie values, for session-ID learning. */
  setCookies: string[] | undefined;
  location: string | undefined;
}

interface Scan { head: string; headStart: number; headBytes: number; forbidden: boolean }

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
  return { head: buf.toString('latin1', start, end + 2), headStart: start, headBytes, forbidden: hasForbiddenByte(buf, start, end + 4) };
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
const KNOWN_BY_LENGTH: Array<Array<[string, number]>> = [];
for (const [name, kind] of [['content-length', F_CONTENT_LENGTH], ['transfer-encoding', F_TRANSFER_ENCODING], ['connection', F_CONNECTION],
  ['upgrade', F_UPGRADE], ['keep-alive', F_HOP], ['te', F_HOP], ['trailer', F_HOP], ['proxy-connection', F_HOP], ['host', F_HOST],
  ['cookie', F_COOKIE], ['x-forwarded-for', F_X_FORWARDED_FOR], ['forwarded', F_FORWARDED], ['x-forwarded-proto', F_X_FORWARDED_PROTO],
  ['set-cookie', F_SET_COOKIE], ['location', F_LOCATION]] as Array<[string, number]>) (KNOWN_BY_LENGTH[name.length] ??= []).push([name, kind]);

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

/** s is 1 to 15 decimal digits (a length a double holds exactly). */
function isLength(s: string): boolean {
  if (s.length === 0 || s.length > 15) return false;
  for (let i = 0; i < s.length; i++) if (digitAt(s, i) < 0) return false;
  return true;
}

/** The kind of the field named head[start, end) (a token). */
function fieldKind(head: string, start: number, end: number): number {
  const n = end - start;
  const known = KNOWN_BY_LENGTH[n];
  if (known !== undefined) for (const [name, kind] of known) if (startsWithFolded(head, start, name)) return kind;
  return n > 6 && startsWithFolded(head, start, 'proxy-') ? F_PROXY : F_OTHER;
}

function isTokenRange(s: string, start: number, end: number): boolean {
  if (end <= start) return false;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c > 127 || TOKEN[c] === 0) return false;
  }
  return true;
}

/** Parses header lines of `head` from `pos`; fills `out`. Returns nothing; throws HttpError. */
type FieldHandler<T> = (out: T, kind: number, value: string, index: number) => void;

// Module-level handlers: no closure is created per parsed head.
function parseFields<T extends HeadFields>(head: string, pos: number, limits: HeadLimits, out: T, fail: (code: string, m: string) => HttpError,
  onField: FieldHandler<T>): void {
  let connection: string | undefined;
  let te: string | undefined;
  let upgradeField: string | undefined;
  while (pos < head.length) {
    const eol = head.indexOf('\r\n', pos);
    if (eol - pos > limits.maxLineBytes) throw new HttpError(431, 'ERR_HTTP_HEADERS_TOO_LARGE', 'A header line is longer than allowed.');
    if (out.names.length >= limits.maxHeaderCount) throw new HttpError(431, 'ERR_HTTP_HEADERS_TOO_LARGE', 'The head has more header fields than allowed.');
    const colon = head.indexOf(':', pos);
    if (colon < 0 || colon > eol || !isTokenRange(head, pos, colon)) throw fail('ERR_HTTP_BAD_HEADER', 'A header line is malformed.');
    let a = colon + 1;
    let b = eol;
    while (a < b && (head.charCodeAt(a) === 32 || head.charCodeAt(a) === 9)) a++;
    while (b > a && (head.charCodeAt(b - 1) === 32 || head.charCodeAt(b - 1) === 9)) b--;
    const kind = fieldKind(head, pos, colon);
    const value = head.slice(a, b);
    const index = out.names.length;
    out.names.push(head.slice(pos, colon));
    out.values.push(value);
    pos = eol + 2;
    switch (kind) {
      case F_OTHER: break;
      case F_CONTENT_LENGTH: {
        if (!isLength(value)) {
          // RFC 9112 6.3: a list of identical values may be taken as one.
          const parts = value.split(',').map((p) => p.trim());
          if (!parts.every((p) => isLength(p) && p === parts[0])) throw fail('ERR_HTTP_CONTENT_LENGTH', 'Content-Length is not a valid number.');
          setLength(out, Number(parts[0]), fail);
        } else setLength(out, Number(value), fail);
        break;
      }
      case F_TRANSFER_ENCODING:
        te = te === undefined ? value : `${te}, ${value}`;
        out.hop.push(index);
        break;
      case F_CONNECTION:
        connection = connection === undefined ? value : `${connection}, ${value}`;
        out.hop.push(index);
        break;
      case F_UPGRADE:
        upgradeField = value;
        out.hop.push(index);
        break;
      case F_HOP: case F_PROXY:
        out.hop.push(index);
        break;
      default:
        onField(out, kind, value, index);
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
  if (connection !== undefined) connectionTokens(connection, out, upgradeField);
}

/** A Transfer-Encoding list other than one "chunked" alone: true when its only coding is chunked. */
function onlyChunked(te: string): boolean {
  const codings = te.toLowerCase().split(',').map((s) => s.trim()).filter((s) => s !== '');
  return codings.length === 1 && codings[0] === 'chunked';
}

/** Applies the Connection tokens; the usual ones are compared in place (no string per token). */
function connectionTokens(value: string, out: HeadFields, upgradeField: string | undefined): void {
  for (let from = 0; from <= value.length;) {
    let comma = value.indexOf(',', from);
    if (comma < 0) comma = value.length;
    let a = from;
    let b = comma;
    while (a < b && (value.charCodeAt(a) === 32 || value.charCodeAt(a) === 9)) a++;
    while (b > a && (value.charCodeAt(b - 1) === 32 || value.charCodeAt(b - 1) === 9)) b--;
    from = comma + 1;
    if (isFolded(value, a, b, 'close')) out.close = true;
    else if (isFolded(value, a, b, 'keep-alive')) out.keepAliveToken = true;
    else if (isFolded(value, a, b, 'upgrade')) out.upgrade = upgradeField;
    else if (b > a) {
      // Any field named in Connection is hop-by-hop too (RFC 9110 7.6.1).
      const tok = value.slice(a, b).toLowerCase();
      for (let i = 0; i < out.names.length; i++) if (out.names[i].toLowerCase() === tok && !out.hop.includes(i)) out.hop.push(i);
    }
  }
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
  const { head } = scan;
  if (scan.forbidden) throw badRequest('ERR_HTTP_BAD_HEADER', 'The request head holds a control character or a bare CR or LF.');
  const eol = head.indexOf('\r\n');
  if (eol > limits.maxLineBytes) throw lineTooLong(true);
  const line = head.slice(0, eol);
  const sp1 = line.indexOf(' ');
  const sp2 = line.indexOf(' ', sp1 + 1);
  if (sp1 <= 0 || sp2 < 0 || line.indexOf(' ', sp2 + 1) >= 0) throw badRequest('ERR_HTTP_BAD_REQUEST_LINE', 'The request line is malformed.');
  const method = line.slice(0, sp1);
  const target = line.slice(sp1 + 1, sp2);
  const version = line.slice(sp2 + 1);
  if (!isToken(method) || target === '' || BAD_TARGET.test(target)) throw badRequest('ERR_HTTP_BAD_REQUEST_LINE', 'The request line is malformed.');
  // "HTTP/" digit "." digit (RFC 9112 2.3), read in place.
  const major = digitAt(version, 5);
  const minorDigit = digitAt(version, 7);
  if (version.length !== 8 || !version.startsWith('HTTP/') || version.charCodeAt(6) !== 46 || major < 0 || minorDigit < 0) {
    throw badRequest('ERR_HTTP_BAD_REQUEST_LINE', 'The request line is malformed.');
  }
  if (major !== 1) throw new HttpError(505, 'ERR_HTTP_VERSION', 'Only HTTP/1.0 and HTTP/1.1 are supported.');
  if (method === 'CONNECT') throw new HttpError(501, 'ERR_HTTP_METHOD', 'CONNECT is not supported by this reverse proxy.');
  const c0 = target.charCodeAt(0);
  if (c0 !== 47 /* / */ && !(target === '*' && method === 'OPTIONS') && !/^https?:\/\//i.test(target)) {
    throw badRequest('ERR_HTTP_BAD_REQUEST_LINE', 'The request target is malformed.');
  }
  // One literal with every field: each head has the same hidden class.
  const out: RequestHead = {
    names: [], values: [], hop: [], contentLength: -1, chunked: false, close: false, keepAliveToken: false, upgrade: undefined,
    minor: minorDigit >= 1 ? 1 : 0, headBytes: scan.headBytes + scan.headStart - start, fieldsAt: scan.headStart - start + eol + 2, text: head,
    method, target, host: undefined, cookie: undefined, xForwardedFor: undefined, forwarded: undefined, keepAlive: false,
  };
  parseFields(head, eol + 2, limits, out, badRequest, requestField);
  if (out.host === undefined && out.minor === 1) throw badRequest('ERR_HTTP_HOST', 'An HTTP/1.1 request needs exactly one Host header.');
  if (out.chunked && out.minor === 0) throw badRequest('ERR_HTTP_SMUGGLING', 'HTTP/1.0 requests must not use Transfer-Encoding.');
  out.keepAlive = out.minor === 1 ? !out.close : out.keepAliveToken && !out.close;
  return out;
}

function requestField(out: RequestHead, kind: number, value: string, index: number): void {
  switch (kind) {
    case F_HOST:
      if (out.host !== undefined) throw badRequest('ERR_HTTP_HOST', 'An HTTP/1.1 request needs exactly one Host header.');
      out.host = value;
      break;
    case F_COOKIE: out.cookie = out.cookie === undefined ? value : `${out.cookie}; ${value}`; break;
    case F_X_FORWARDED_FOR: out.xForwardedFor = out.xForwardedFor === undefined ? value : `${out.xForwardedFor}, ${value}`; out.hop.push(index); break;
    case F_FORWARDED: out.forwarded = out.forwarded === undefined ? value : `${out.forwarded}, ${value}`; out.hop.push(index); break;
    // The proxy states the scheme it saw itself; a client's claim is dropped.
    case F_X_FORWARDED_PROTO: out.hop.push(index); break;
  }
}

function responseField(out: ResponseHead, kind: number, value: string): void {
  if (kind === F_SET_COOKIE) (out.setCookies ??= []).push(value);
  else if (kind === F_LOCATION) out.location = value;
}

const failResponse = (_code: string, m: string): HttpError => badResponse(m);

/** Parses one response head at buf[start..]; null if incomplete. Throws HttpError(502) for a bad response. */
export function parseResponseHead(buf: Buffer, start: number, limits: HeadLimits, searchFrom = 0): ResponseHead | null {
  const scan = scanHead(buf, start, limits, false, searchFrom);
  if (scan === null) return null;
  const { head } = scan;
  if (scan.forbidden) throw badResponse('The response head holds a control character or a bare CR or LF.');
  const eol = head.indexOf('\r\n');
  const line = head.slice(0, eol);
  // "HTTP/1.1 200 OK": version, one space, three digits, then a space and an optional reason.
  if (line.length < 12 || !line.startsWith('HTTP/1.') || line.charCodeAt(8) !== 32 || (line.length > 12 && line.charCodeAt(12) !== 32)) {
    throw badResponse('The status line is malformed.');
  }
  const minorCode = line.charCodeAt(7) - 48;
  const status = Number(line.slice(9, 12));
  if ((minorCode !== 0 && minorCode !== 1) || !(status >= 100 && status <= 999) || !/^\d{3}$/.test(line.slice(9, 12))) {
    throw badResponse('The status line is malformed.');
  }
  const out: ResponseHead = {
    names: [], values: [], hop: [], contentLength: -1, chunked: false, close: false, keepAliveToken: false, upgrade: undefined,
    minor: minorCode, headBytes: scan.headBytes, fieldsAt: eol + 2, text: head, status, reason: line.slice(13), setCookies: undefined, location: undefined,
  };
  parseFields(head, eol + 2, limits, out, failResponse, responseField);
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
