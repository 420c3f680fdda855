// Strict HTTP/1.1 head parsers (RFC 9112) over Buffers, incremental and pipelining-safe.
// The end of a head is found with Buffer.indexOf (native memmem); the head is then read once
// as a latin1 string and split with indexOf. One regex scan per head rejects control bytes and
// bare CR/LF; no per-byte regex. Everything a caller must know for framing and forwarding is
// derived here, so the proxy never re-reads headers.
import { HttpError, badRequest } from './http-error.js';
import type { HeadLimits } from './limits.js';

const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1');
const FORBIDDEN = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\r(?!\n)|(?<!\r)\n/;
const BAD_TARGET = /[\x00-\x20\x7f-\uffff]/;
const VERSION = /^HTTP\/(\d)\.(\d)$/;

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

interface Scan { head: string; headStart: number; headBytes: number }

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
  return { head: buf.toString('latin1', start, end + 2), headStart: start, headBytes };
}

function lineTooLong(isRequest: boolean): HttpError {
  return isRequest
    ? new HttpError(414, 'ERR_HTTP_URI_TOO_LONG', 'The request line is longer than allowed.')
    : badResponse('The status line is longer than allowed.');
}

function badResponse(message: string): HttpError {
  return new HttpError(502, 'ERR_HTTP_BAD_RESPONSE', message);
}

/** Parses header lines of `head` from `pos`; fills `out`. Returns nothing; throws HttpError. */
type FieldHandler<T> = (out: T, lower: string, value: string, index: number) => void;

// Module-level handlers: no closure is created per parsed head.
function parseFields<T extends HeadFields>(head: string, pos: number, limits: HeadLimits, out: T, fail: (code: string, m: string) => HttpError,
  onField: FieldHandler<T>): void {
  let connection: string | undefined;
  let te: string | undefined;
  let upgradeField: string | undefined;
  while (pos < head.length) {
    const eol = head.indexOf('\r\n', pos);
    const line = head.slice(pos, eol);
    pos = eol + 2;
    if (line.length > limits.maxLineBytes) throw new HttpError(431, 'ERR_HTTP_HEADERS_TOO_LARGE', 'A header line is longer than allowed.');
    if (out.names.length >= limits.maxHeaderCount) throw new HttpError(431, 'ERR_HTTP_HEADERS_TOO_LARGE', 'The head has more header fields than allowed.');
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon) : '';
    if (!isToken(name)) throw fail('ERR_HTTP_BAD_HEADER', 'A header line is malformed.');
    let a = colon + 1;
    let b = line.length;
    while (a < b && (line.charCodeAt(a) === 32 || line.charCodeAt(a) === 9)) a++;
    while (b > a && (line.charCodeAt(b - 1) === 32 || line.charCodeAt(b - 1) === 9)) b--;
    const value = line.slice(a, b);
    const index = out.names.length;
    out.names.push(name);
    out.values.push(value);
    // Only names whose length matches a field we act on are lower-cased.
    const n = name.length;
    if (n !== 2 && n !== 4 && n !== 6 && n !== 7 && n !== 8 && n !== 9 && n !== 10 && n !== 14 && n !== 15 && n !== 16 && n !== 17) {
      if (n > 6 && (name.charCodeAt(0) | 32) === 112 && name.slice(0, 6).toLowerCase() === 'proxy-') out.hop.push(index);
      continue;
    }
    const lower = name.toLowerCase();
    switch (lower) {
      case 'content-length': {
        if (!/^\d{1,15}$/.test(value)) {
          // RFC 9112 6.3: a list of identical values may be taken as one.
          const parts = value.split(',').map((p) => p.trim());
          if (!parts.every((p) => /^\d{1,15}$/.test(p) && p === parts[0])) throw fail('ERR_HTTP_CONTENT_LENGTH', 'Content-Length is not a valid number.');
          setLength(out, Number(parts[0]), fail);
        } else setLength(out, Number(value), fail);
        break;
      }
      case 'transfer-encoding':
        te = te === undefined ? value : `${te}, ${value}`;
        out.hop.push(index);
        break;
      case 'connection':
        connection = connection === undefined ? value : `${connection}, ${value}`;
        out.hop.push(index);
        break;
      case 'upgrade':
        upgradeField = value;
        out.hop.push(index);
        break;
      case 'keep-alive': case 'te': case 'trailer': case 'proxy-connection':
        out.hop.push(index);
        break;
      default:
        if (lower.startsWith('proxy-')) out.hop.push(index);
        onField(out, lower, value, index);
    }
  }
  if (te !== undefined) {
    const codings = te.toLowerCase().split(',').map((s) => s.trim()).filter((s) => s !== '');
    if (codings.length !== 1 || codings[0] !== 'chunked') {
      if (fail === failResponse) throw fail('ERR_HTTP_UNSUPPORTED_TE', 'Only the chunked transfer coding is supported.');
      throw new HttpError(501, 'ERR_HTTP_UNSUPPORTED_TE', 'Only the chunked transfer coding is supported.');
    }
    if (out.contentLength >= 0) throw fail('ERR_HTTP_SMUGGLING', 'Content-Length and Transfer-Encoding must not both be sent.');
    out.chunked = true;
  }
  if (connection !== undefined) {
    for (const raw of connection.split(',')) {
      const tok = raw.trim().toLowerCase();
      if (tok === 'close') out.close = true;
      else if (tok === 'keep-alive') out.keepAliveToken = true;
      else if (tok === 'upgrade') out.upgrade = upgradeField;
      else if (tok !== '') {
        // Any field named in Connection is hop-by-hop too (RFC 9110 7.6.1).
        for (let i = 0; i < out.names.length; i++) if (out.names[i].toLowerCase() === tok && !out.hop.includes(i)) out.hop.push(i);
      }
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
  if (FORBIDDEN.test(head)) throw badRequest('ERR_HTTP_BAD_HEADER', 'The request head holds a control character or a bare CR or LF.');
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
  const v = VERSION.exec(version);
  if (v === null) throw badRequest('ERR_HTTP_BAD_REQUEST_LINE', 'The request line is malformed.');
  if (v[1] !== '1') throw new HttpError(505, 'ERR_HTTP_VERSION', 'Only HTTP/1.0 and HTTP/1.1 are supported.');
  if (method === 'CONNECT') throw new HttpError(501, 'ERR_HTTP_METHOD', 'CONNECT is not supported by this reverse proxy.');
  const c0 = target.charCodeAt(0);
  if (c0 !== 47 /* / */ && !(target === '*' && method === 'OPTIONS') && !/^https?:\/\//i.test(target)) {
    throw badRequest('ERR_HTTP_BAD_REQUEST_LINE', 'The request target is malformed.');
  }
  // One literal with every field: each head has the same hidden class.
  const out: RequestHead = {
    names: [], values: [], hop: [], contentLength: -1, chunked: false, close: false, keepAliveToken: false, upgrade: undefined,
    minor: Number(v[2]) >= 1 ? 1 : 0, headBytes: scan.headBytes + scan.headStart - start,
    method, target, host: undefined, cookie: undefined, xForwardedFor: undefined, forwarded: undefined, keepAlive: false,
  };
  parseFields(head, eol + 2, limits, out, badRequest, requestField);
  if (out.host === undefined && out.minor === 1) throw badRequest('ERR_HTTP_HOST', 'An HTTP/1.1 request needs exactly one Host header.');
  if (out.chunked && out.minor === 0) throw badRequest('ERR_HTTP_SMUGGLING', 'HTTP/1.0 requests must not use Transfer-Encoding.');
  out.keepAlive = out.minor === 1 ? !out.close : out.keepAliveToken && !out.close;
  return out;
}

function requestField(out: RequestHead, lower: string, value: string, index: number): void {
  switch (lower) {
    case 'host':
      if (out.host !== undefined) throw badRequest('ERR_HTTP_HOST', 'An HTTP/1.1 request needs exactly one Host header.');
      out.host = value;
      break;
    case 'cookie': out.cookie = out.cookie === undefined ? value : `${out.cookie}; ${value}`; break;
    case 'x-forwarded-for': out.xForwardedFor = out.xForwardedFor === undefined ? value : `${out.xForwardedFor}, ${value}`; out.hop.push(index); break;
    case 'forwarded': out.forwarded = out.forwarded === undefined ? value : `${out.forwarded}, ${value}`; out.hop.push(index); break;
    // The proxy states the scheme it saw itself; a client's claim is dropped.
    case 'x-forwarded-proto': out.hop.push(index); break;
  }
}

function responseField(out: ResponseHead, lower: string, value: string): void {
  if (lower === 'set-cookie') (out.setCookies ??= []).push(value);
  else if (lower === 'location') out.location = value;
}

const failResponse = (_code: string, m: string): HttpError => badResponse(m);

/** Parses one response head at buf[start..]; null if incomplete. Throws HttpError(502) for a bad response. */
export function parseResponseHead(buf: Buffer, start: number, limits: HeadLimits, searchFrom = 0): ResponseHead | null {
  const scan = scanHead(buf, start, limits, false, searchFrom);
  if (scan === null) return null;
  const { head } = scan;
  if (FORBIDDEN.test(head)) throw badResponse('The response head holds a control character or a bare CR or LF.');
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
    minor: minorCode, headBytes: scan.headBytes, status, reason: line.slice(13), setCookies: undefined, location: undefined,
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
