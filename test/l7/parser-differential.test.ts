// Differential test of lbarray's head parsers against node's llhttp (strict, as node's http server
// runs it), aimed at request smuggling: whenever lbarray accepts a head, llhttp must accept it too
// and end the message where lbarray does. Checked concretely: the head, the body lbarray's framing
// implies, then a second message; llhttp must read exactly two messages, the second one whole, and
// take the same keep-alive and upgrade decisions. lbarray may be stricter: heads only llhttp
// accepts are counted and listed, and lbarray's refusals must carry the right status.
import t, { type Test } from 'tap';
import fc from 'fast-check';
import { parseRequestHead, parseResponseHead, responseBodyKind, type HeadFields, type RequestHead, type ResponseHead } from '../../engine/l7/http/parser.js';
import { HttpError } from '../../engine/l7/http/http-error.js';
import { defaultHeadLimits } from '../../engine/l7/http/limits.js';
import { llhttpMethods, llhttpRead, type LlResult } from './llhttp.js';
import { requestHead, responseHead } from './head-grammar.js';

const L = defaultHeadLimits;
const SECOND_REQUEST = 'GET /second HTTP/1.1\r\nHost: b\r\n\r\n';
const SECOND_RESPONSE = 'HTTP/1.1 204 No Content\r\n\r\n';
const CHUNKED_BODY = '3\r\nabc\r\n0\r\n\r\n';
const CHUNKED_DATA_BYTES = 3;
/** Past this, a Content-Length body is not sent whole: llhttp must still be inside it after this many bytes. */
const LONGEST_BODY_SENT = 4096;
/** What lbarray answers a request it refuses with (the statuses test/l7/parser.test.ts asserts). */
const REQUEST_REFUSAL_STATUSES = new Set([400, 414, 431, 501, 505]);

/** The outcome of one head read by both parsers. */
type Verdict =
  | { kind: 'agree' }
  /** lbarray refused the head (with `status`); `llhttpAccepts`: llhttp read the head without an error. */
  | { kind: 'refused'; status: number; code: string; llhttpAccepts: boolean }
  /** A documented difference where lbarray follows the RFC and llhttp does not: see the excused* functions. */
  | { kind: 'excused'; why: string }
  | { kind: 'disagree'; why: string };

/** What lbarray's framing of an accepted message says llhttp must see. */
interface Framing {
  /** Bytes from the start of the input through the head (leading empty lines included). */
  headBytes: number;
  body: 'none' | 'length' | 'chunked' | 'close';
  length: number;
  keepAlive: boolean;
  /** The bytes after the message are another protocol (an upgrade, a 101). */
  tunnel: boolean;
  upgrade: boolean | undefined;
}

function bodyBytesFor(f: Framing): string {
  if (f.body === 'chunked') return CHUNKED_BODY;
  if (f.body === 'length') return 'x'.repeat(Math.min(f.length, LONGEST_BODY_SENT));
  if (f.body === 'close') return 'abc';
  return '';
}

/**
 * Feeds llhttp `head` (as far as lbarray's head reaches), the body lbarray's framing implies and
 * `second`; returns why llhttp frames it otherwise, or undefined when it agrees.
 */
function framingDisagreement(kind: 'request' | 'response', head: string, f: Framing, second: string): string | undefined {
  const body = bodyBytesFor(f);
  const longBody = f.body === 'length' && f.length > LONGEST_BODY_SENT;
  const closeDelimited = f.body === 'close';
  const input = head.slice(0, f.headBytes) + body + (closeDelimited ? '' : second);
  const ll = llhttpRead(kind, Buffer.from(input, 'latin1'), closeDelimited);
  // A message after which the connection closes: llhttp (strict) refuses any byte that follows it.
  const closing = !f.keepAlive && !f.tunnel && !closeDelimited && !longBody;
  if (ll.error !== undefined && !(closing && ll.error === 'HPE_CLOSED_CONNECTION')) return `llhttp refused: ${ll.error}`;
  const first = ll.messages[0];
  if (first === undefined) return 'llhttp saw no head';
  if (f.upgrade !== undefined && first.upgrade !== f.upgrade) return `upgrade: lbarray ${f.upgrade}, llhttp ${first.upgrade}`;
  if (longBody) {
    // The whole rest of the input must be body: llhttp is still inside the first message.
    const rest = input.length - f.headBytes;
    return ll.messages.length === 1 && !first.complete && first.bodyBytes === rest ? undefined
      : `a Content-Length of ${f.length}: llhttp read ${ll.messages.length} messages, ${first.bodyBytes} body bytes of ${rest}`;
  }
  if (!first.complete) return 'llhttp did not complete the first message';
  const dataBytes = f.body === 'chunked' ? CHUNKED_DATA_BYTES : body.length;
  if (first.bodyBytes !== dataBytes) return `body bytes: lbarray ${dataBytes}, llhttp ${first.bodyBytes}`;
  if (closeDelimited) return ll.completeBeforeFinish === 0 ? undefined : 'llhttp ended a body that lbarray reads until close';
  if (first.shouldKeepAlive !== f.keepAlive) return `keep-alive: lbarray ${f.keepAlive}, llhttp ${first.shouldKeepAlive}`;
  if (closing) {
    return ll.messages.length === 1 && ll.error === 'HPE_CLOSED_CONNECTION' ? undefined : 'llhttp read on after a message that closes the connection';
  }
  if (f.tunnel) {
    // What follows is another protocol: llhttp must stop where the tunnel begins.
    const at = f.headBytes + body.length;
    return ll.messages.length === 1 && ll.parsed === at ? undefined : `tunnel: lbarray at ${at}, llhttp parsed ${ll.parsed} in ${ll.messages.length} messages`;
  }
  if (ll.messages.length !== 2) return `llhttp read ${ll.messages.length} messages`;
  const next = ll.messages[1];
  if (!next.complete) return 'llhttp did not complete the second message';
  if (kind === 'request' && next.url !== '/second') return `second message's url: ${JSON.stringify(next.url)}`;
  if (kind === 'response' && next.status !== 204) return `second message's status: ${next.status}`;
  return undefined;
}

/** llhttp read the head (alone) without an error. */
function llhttpAcceptsHead(kind: 'request' | 'response', head: string): boolean {
  const ll: LlResult = llhttpRead(kind, Buffer.from(head, 'latin1'));
  return ll.error === undefined && ll.messages.length > 0;
}

/** The values of a head's fields named `lower` (in lower case), as written after the colon. */
function fieldValues(head: string, lower: string): string[] {
  const values: string[] = [];
  for (const line of head.split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0 && line.slice(0, colon).toLowerCase() === lower) values.push(line.slice(colon + 1));
  }
  return values;
}

/** The elements of the comma-separated lists in a head's fields named `lower`, as written. */
const listElements = (head: string, lower: string): string[] => fieldValues(head, lower).flatMap((v) => v.split(','));
const trimOws = (s: string): string => s.replace(/^[ \t]+|[ \t]+$/g, '');

/**
 * The differences where lbarray accepts and llhttp refuses because llhttp is narrower than the
 * RFCs, and lbarray frames the message the one way the RFC allows (llhttp's refusal frames
 * nothing: it reads no message). Each names its rule; everything else is a bug.
 */
function excusedRefusal(head: string, ll: LlResult, parsed: { method?: string; contentLength: number }): string | undefined {
  // RFC 9110 9.1 / RFC 9112 3.1: a method is any token; llhttp knows a fixed list (and its case),
  // and reads any PRI request line as the start of HTTP/2's connection preface "PRI * HTTP/2.0"
  // (RFC 9113 3.4; lbarray refuses that one with 505), never as an HTTP/1 message.
  const unknownMethod = parsed.method !== undefined && !llhttpMethods.has(parsed.method);
  if (unknownMethod && (ll.error === 'HPE_INVALID_METHOD' || parsed.method === 'PRI')) return 'extension method';
  // RFC 9110 8.6 / RFC 9112 6.3 (5): a recipient MAY take repeated identical Content-Length values
  // (fields or a list) as one; llhttp refuses any second value. lbarray takes them only when all agree.
  if (ll.error === 'HPE_INVALID_CONTENT_LENGTH' || ll.error === 'HPE_UNEXPECTED_CONTENT_LENGTH') {
    const values = listElements(head, 'content-length').map(trimOws);
    if (values.length > 1 && values.every((v) => Number(v) === parsed.contentLength)) return 'identical Content-Length values';
  }
  // RFC 9110 6.2: a recipient reads HTTP/1.x with x above 1 as the highest minor it implements
  // (lbarray: 1.1, and it forwards the request as HTTP/1.1); strict llhttp refuses any minor but 0 and 1.
  if (ll.error === 'HPE_INVALID_VERSION' && /^(\r\n)*[^ ]+ [^ ]+ HTTP\/1\.[2-9]\r\n/.test(head)) return 'HTTP/1 minor version above 1';
  return undefined;
}

const FRAMING_FIELD = /(^|\n)(content-length|transfer-encoding|connection):([^\r\n]*)/gi;
/**
 * RFC 9110 5.5 (the OWS around a field value is SP or HTAB) and 5.6.1 (empty list elements are
 * ignored): llhttp takes a tab after "chunked", a length or a Connection option, and an empty
 * element after "chunked", as part of the value: it refuses the head, or (a response) takes a
 * coding other than chunked and reads until close, or misses a "close". lbarray reads them as the
 * RFC says, and restates Transfer-Encoding and Connection when it forwards. Excused when the same
 * head with those tabs, and the commas of a list of one element, made spaces (the same length)
 * compares without a disagreement.
 */
function excusedFramingOws(head: string, compare: (head: string) => Verdict): string | undefined {
  const spaced = head.replace(FRAMING_FIELD, (_m, start: string, name: string, value: string) => {
    const noTabs = value.replace(/\t/g, ' ');
    const elements = noTabs.split(',').filter((e) => e.trim() !== '');
    return `${start}${name}:${elements.length === 1 ? noTabs.replace(/,/g, ' ') : noTabs}`;
  });
  if (spaced === head) return undefined;
  const v = compare(spaced).kind;
  return v === 'agree' || v === 'excused' ? 'tab or empty list element in a framing or Connection field' : undefined;
}

const PROXY_CONNECTION = /(^|\n)proxy-connection:/gi;
/**
 * llhttp reads Proxy-Connection as if it were Connection (close, keep-alive, upgrade), a legacy of
 * old clients; no RFC defines it (RFC 9112 9 and RFC 9110 7.6.1 name Connection only), and lbarray drops it as hop-by-hop
 * (so the next hop never sees it). Excused when the same head with the field renamed (to another
 * proxy-* name of the same length, which both parsers take as an ordinary field) agrees, or
 * differs only by another excused shape.
 */
function excusedProxyConnection(head: string, compare: (head: string) => Verdict): string | undefined {
  if (head.search(PROXY_CONNECTION) < 0) return undefined;
  const v = compare(head.replace(PROXY_CONNECTION, '$1Proxy-Connectiox:')).kind;
  return v === 'agree' || v === 'excused' ? 'Proxy-Connection read as Connection' : undefined;
}

function requestFraming(h: RequestHead): Framing {
  const upgrade = h.upgrade !== undefined;
  return {
    headBytes: h.headBytes, body: h.chunked ? 'chunked' : h.contentLength > 0 ? 'length' : 'none', length: h.contentLength,
    keepAlive: h.keepAlive, tunnel: upgrade, upgrade,
  };
}

/** Which second message follows a first of `kind`. */
const secondOf = (kind: 'request' | 'response') => (kind === 'request' ? SECOND_REQUEST : SECOND_RESPONSE);

/**
 * RFC 9112 9.3: a "close" option ends the connection whatever else Connection says; llhttp keeps an
 * HTTP/1.0 connection whenever it sees keep-alive, even beside close. Excused when the framing
 * agrees once lbarray's answer is taken to be llhttp's.
 */
function excusedKeepAlive(kind: 'request' | 'response', head: string, parsed: HeadFields, f: Framing): string | undefined {
  if (parsed.minor !== 0 || !parsed.close || !parsed.keepAliveToken) return undefined;
  return framingDisagreement(kind, head, { ...f, keepAlive: true }, secondOf(kind)) === undefined ? 'close with keep-alive on HTTP/1.0' : undefined;
}

/** Compares llhttp's reading with lbarray's accepted head `parsed` framed as `f`. */
function verdictOnAccepted(kind: 'request' | 'response', head: string, parsed: HeadFields & { method?: string }, f: Framing): Verdict {
  const why = framingDisagreement(kind, head, f, secondOf(kind));
  if (why === undefined) return { kind: 'agree' };
  const excuse = excusedRefusal(head, llhttpRead(kind, Buffer.from(head.slice(0, f.headBytes), 'latin1')), parsed)
    ?? excusedKeepAlive(kind, head, parsed, f)
    ?? excusedFramingOws(head, kind === 'request' ? compareRequest : compareResponse)
    ?? excusedProxyConnection(head, kind === 'request' ? compareRequest : compareResponse);
  return excuse === undefined ? { kind: 'disagree', why } : { kind: 'excused', why: excuse };
}

function refusal(kind: 'request' | 'response', head: string, e: unknown): Verdict {
  if (!(e instanceof HttpError)) throw e;
  return { kind: 'refused', status: e.status, code: e.code, llhttpAccepts: llhttpAcceptsHead(kind, head) };
}

function compareRequest(head: string): Verdict {
  let h: RequestHead | null;
  try {
    h = parseRequestHead(Buffer.from(head, 'latin1'), 0, L);
  } catch (e) {
    return refusal('request', head, e);
  }
  if (h === null) return { kind: 'disagree', why: 'lbarray found the head incomplete' };
  return verdictOnAccepted('request', head, h, requestFraming(h));
}

function compareResponse(head: string): Verdict {
  let res: ResponseHead | null;
  try {
    res = parseResponseHead(Buffer.from(head, 'latin1'), 0, L);
  } catch (e) {
    return refusal('response', head, e);
  }
  if (res === null) return { kind: 'disagree', why: 'lbarray found the head incomplete' };
  const body = responseBodyKind(res, 'GET');
  // A 101 switches protocols once the head ends (lbarray's tunnel, when its request asked for one;
  // llhttp as a client always, whatever its Connection and Upgrade fields say: its upgrade flag
  // follows the fields, so it is not compared).
  const tunnel = res.status === 101;
  return verdictOnAccepted('response', head, res, {
    headBytes: res.headBytes, body, length: res.contentLength, keepAlive: !res.close && body !== 'close', tunnel, upgrade: undefined,
  });
}

// ---- The properties ----
// What llhttp accepts and lbarray refuses, as the comments of runs of 2026-11-30 listed it (lbarray
// is stricter, as RFC 9112 lets it be): a request without Host in HTTP/1.1, "GET * HTTP/1.0" (an
// asterisk target for a method other than OPTIONS), a bare LF before the request line or ending a
// line, Transfer-Encoding on HTTP/1.0, a TE field of only OWS, a 16-digit Content-Length, HTTP/2.0
// in a request line, CONNECT; status codes below 100 and control bytes in a reason phrase.

/** Heads lbarray refuses and llhttp reads: counted, and a few kept for the record. */
class StricterTally {
  count = 0;
  readonly examples = new Map<string, string>();
  add(code: string, head: string): void {
    this.count++;
    // One example per refusal code, the shortest seen.
    const had = this.examples.get(code);
    if (had === undefined || head.length < had.length) this.examples.set(code, head);
  }
  report(): string {
    return [...this.examples].map(([code, head]) => `${code}: ${JSON.stringify(head)}`).join('\n');
  }
}

/** Runs the property over `heads`; returns the counts for the comment. */
function checkProperty(t: Test, kind: 'request' | 'response', heads: fc.Arbitrary<string>, numRuns: number): void {
  const compare = kind === 'request' ? compareRequest : compareResponse;
  const stricter = new StricterTally();
  const excused = new Map<string, number>();
  let agreed = 0;
  let refused = 0;
  fc.assert(fc.property(heads, (head) => {
    const v = compare(head);
    if (v.kind === 'disagree') throw new Error(`${kind} ${JSON.stringify(head)}: ${v.why}`);
    if (v.kind === 'agree') agreed++;
    else if (v.kind === 'excused') excused.set(v.why, (excused.get(v.why) ?? 0) + 1);
    else {
      refused++;
      const statusOk = kind === 'request' ? REQUEST_REFUSAL_STATUSES.has(v.status) : v.status === 502;
      if (!statusOk) throw new Error(`${kind} ${JSON.stringify(head)}: refused with ${v.status} (${v.code})`);
      if (v.llhttpAccepts) stricter.add(v.code, head);
    }
  }), { numRuns });
  t.ok(agreed > numRuns / 10, `${agreed} accepted heads framed alike (of ${numRuns})`);
  t.ok(refused > numRuns / 10, `${refused} refused with a ${kind === 'request' ? '4xx/501/505' : '502'}`);
  t.comment(`${kind}s: ${agreed} agreed, ${refused} refused by lbarray, of which ${stricter.count} llhttp accepts; excused: ${JSON.stringify(Object.fromEntries(excused))}`);
  t.comment(`examples lbarray refuses and llhttp accepts (shortest per code):\n${stricter.report()}`);
}

t.test('property: every request head lbarray accepts, llhttp frames the same way', async (t) => {
  checkProperty(t, 'request', requestHead, 4000);
});

t.test('property: every response head lbarray accepts, llhttp frames the same way', async (t) => {
  checkProperty(t, 'response', responseHead, 3000);
});

// ---- The classic vectors, by name ----

/** A head lbarray must accept with llhttp framing it alike; or refuse with `status`. */
const requestVectors: Array<{ family: string; name: string; head: string; status?: number }> = [
  { family: 'CL.TE', name: 'Content-Length then Transfer-Encoding', head: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n', status: 400 },
  { family: 'TE.CL', name: 'Transfer-Encoding then Content-Length', head: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n', status: 400 },
  { family: 'TE.TE', name: 'chunked twice in two fields', head: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n', status: 501 },
  { family: 'TE.TE', name: 'chunked then identity', head: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n', status: 501 },
  { family: 'TE.TE', name: '"chunked, identity" (chunked not last)', head: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, identity\r\n\r\n', status: 501 },
  { family: 'TE.TE', name: 'chunked beside a field of only a comma (llhttp: a coding that is not chunked)', head: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: ,\r\n\r\n', status: 400 },
  { family: 'TE.TE', name: 'chunked beside an empty field (both parsers ignore it)', head: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding:\r\n\r\n' },
  { family: 'TE.TE', name: 'xchunked', head: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n', status: 501 },
  { family: 'TE.TE', name: 'identity alone', head: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n\r\n', status: 501 },
  { family: 'TE.TE', name: 'chunked in odd case', head: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: cHuNkEd\r\n\r\n' },
  { family: 'TE.TE', name: 'chunked with trailing spaces', head: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked  \r\n\r\n' },
  { family: 'TE.TE', name: 'an empty list element before chunked', head: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: , chunked\r\n\r\n' },
  { family: 'TE.TE', name: 'space before the colon', head: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n', status: 400 },
  { family: 'TE.TE', name: 'tab before the colon', head: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length\t: 3\r\n\r\n', status: 400 },
  { family: 'TE.TE', name: 'TE folded onto the line before (obs-fold)', head: 'POST / HTTP/1.1\r\nHost: a\r\nX: y\r\n Transfer-Encoding: chunked\r\n\r\n', status: 400 },
  { family: 'TE.TE', name: 'TE value continued on a folded line', head: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n chunked\r\n\r\n', status: 400 },
  { family: 'TE.TE', name: 'vertical tab after chunked', head: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\x0b\r\n\r\n', status: 400 },
  { family: 'TE.TE', name: 'chunked on HTTP/1.0', head: 'POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n', status: 400 },
  { family: 'CL.CL', name: 'two different Content-Length fields', head: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 5\r\n\r\n', status: 400 },
  { family: 'CL.CL', name: 'a list of different lengths', head: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5,6\r\n\r\n', status: 400 },
  { family: 'CL', name: 'a sign', head: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\n', status: 400 },
  { family: 'CL', name: 'negative', head: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n', status: 400 },
  { family: 'CL', name: 'hexadecimal', head: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x5\r\n\r\n', status: 400 },
  { family: 'CL', name: 'a space inside', head: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1 2\r\n\r\n', status: 400 },
  { family: 'CL', name: 'empty', head: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n', status: 400 },
  { family: 'CL', name: 'too many digits for a double', head: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n', status: 400 },
  { family: 'CL', name: 'leading zeros', head: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0005\r\n\r\n' },
  { family: 'CL', name: 'OWS around the value', head: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \t5 \r\n\r\n' },
  { family: 'CL', name: 'a large length (llhttp stays inside the body)', head: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 123456789012345\r\n\r\n' },
  { family: 'line ends', name: 'bare LF after the request line', head: 'POST / HTTP/1.1\nHost: a\r\nContent-Length: 3\r\n\r\n', status: 400 },
  { family: 'line ends', name: 'bare LF ending a field line', head: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\nX: y\r\n\r\n', status: 400 },
  { family: 'line ends', name: 'bare CR ending a field line', head: 'POST / HTTP/1.1\r\nHost: a\rContent-Length: 3\r\n\r\n', status: 400 },
  { family: 'bytes', name: 'NUL in a value', head: 'GET / HTTP/1.1\r\nHost: a\r\nX: a\x00b\r\n\r\n', status: 400 },
  { family: 'bytes', name: 'NUL in a name', head: 'GET / HTTP/1.1\r\nHost: a\r\nContent-Length\x00: 3\r\n\r\n', status: 400 },
  { family: 'bytes', name: 'invalid token char in a name', head: 'GET / HTTP/1.1\r\nHost: a\r\nX(y): 1\r\n\r\n', status: 400 },
  { family: 'bytes', name: 'empty name', head: 'GET / HTTP/1.1\r\nHost: a\r\n: 1\r\n\r\n', status: 400 },
  { family: 'bytes', name: 'obs-text in a value (allowed, RFC 9110 5.5)', head: 'GET / HTTP/1.1\r\nHost: a\r\nX: caf\xe9\r\n\r\n' },
  { family: 'request line', name: 'two spaces', head: 'GET  / HTTP/1.1\r\nHost: a\r\n\r\n', status: 400 },
  { family: 'request line', name: 'a tab for a space', head: 'GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n', status: 400 },
  { family: 'request line', name: 'HTTP/0.9 style (no version)', head: 'GET /\r\nHost: a\r\n\r\n', status: 400 },
  { family: 'request line', name: 'leading empty lines (RFC 9112 2.2)', head: '\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n' },
  { family: 'keep-alive', name: 'HTTP/1.0 keep-alive', head: 'GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n' },
  // Not a difference of parsers but of a proxy: it drops the fields Connection names, and without
  // its Content-Length the back-end would read the body as the next request.
  { family: 'hop-by-hop', name: 'Connection names Content-Length', head: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nConnection: content-length\r\n\r\n', status: 400 },
  { family: 'keep-alive', name: 'HTTP/1.0 without keep-alive closes', head: 'GET / HTTP/1.0\r\n\r\n' },
  { family: 'keep-alive', name: 'HTTP/1.1 close in a list', head: 'GET / HTTP/1.1\r\nHost: a\r\nConnection: x-foo, close\r\n\r\n' },
  { family: 'upgrade', name: 'websocket upgrade: the tunnel begins after the head', head: 'GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n' },
  { family: 'upgrade', name: 'an empty Upgrade field is no upgrade', head: 'GET / HTTP/1.1\r\nHost: a\r\nUpgrade: \r\nConnection: upgrade\r\n\r\n' },
  { family: 'upgrade', name: 'Upgrade without the Connection token is no upgrade', head: 'GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\n' },
  { family: 'upgrade', name: 'an upgrade with a body: the tunnel begins after it', head: 'POST /ws HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: h2c\r\nContent-Length: 3\r\n\r\n' },
];

for (const v of requestVectors) {
  t.test(`request ${v.family}: ${v.name}`, async (t) => {
    const verdict = compareRequest(v.head);
    if (v.status === undefined) t.same(verdict, { kind: 'agree' }, 'lbarray accepts and llhttp frames it alike');
    else t.match(verdict, { kind: 'refused', status: v.status }, `lbarray refuses with ${v.status}`);
  });
}

const responseVectors: Array<{ family: string; name: string; head: string; status?: number }> = [
  { family: 'CL.TE', name: 'both framings', head: 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n', status: 502 },
  { family: 'CL.CL', name: 'two different lengths', head: 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n', status: 502 },
  { family: 'TE', name: 'gzip, chunked (lbarray only relays chunked)', head: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n', status: 502 },
  { family: 'TE', name: 'chunked', head: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n' },
  { family: 'CL', name: 'a length', head: 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n' },
  { family: 'until close', name: 'no framing: read until the back-end closes', head: 'HTTP/1.1 200 OK\r\n\r\n' },
  { family: 'no body', name: '204 ignores a Content-Length', head: 'HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n' },
  { family: 'no body', name: '304 ignores chunked', head: 'HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n' },
  { family: 'no body', name: '100 Continue then the response', head: 'HTTP/1.1 100 Continue\r\n\r\n' },
  { family: 'no body', name: '103 Early Hints then the response', head: 'HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n' },
  // llhttp reads a body after 104-199 when one is announced: a 1xx must announce none (RFC 9110 8.6).
  { family: 'no body', name: 'a 1xx announcing a length', head: 'HTTP/1.1 199 X\r\nContent-Length: 5\r\n\r\n', status: 502 },
  { family: 'no body', name: 'a 1xx announcing chunked', head: 'HTTP/1.1 150 X\r\nTransfer-Encoding: chunked\r\n\r\n', status: 502 },
  { family: 'TE.TE', name: 'chunked beside a field of only a comma', head: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: ,\r\n\r\n', status: 502 },
  { family: 'upgrade', name: '101: the tunnel begins after the head', head: 'HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n' },
  { family: 'keep-alive', name: 'HTTP/1.0 closes', head: 'HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n' },
  { family: 'keep-alive', name: 'HTTP/1.0 keep-alive', head: 'HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\n' },
  { family: 'hop-by-hop', name: 'Connection names Content-Length', head: 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: content-length\r\n\r\n', status: 502 },
  { family: 'line ends', name: 'bare LF', head: 'HTTP/1.1 200 OK\nContent-Length: 2\r\n\r\n', status: 502 },
  { family: 'line ends', name: 'obs-fold', head: 'HTTP/1.1 200 OK\r\nX: a\r\n b\r\nContent-Length: 2\r\n\r\n', status: 502 },
  { family: 'bytes', name: 'space before the colon', head: 'HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\n', status: 502 },
];

for (const v of responseVectors) {
  t.test(`response ${v.family}: ${v.name}`, async (t) => {
    const verdict = compareResponse(v.head);
    if (v.status === undefined) t.same(verdict, { kind: 'agree' }, 'lbarray accepts and llhttp frames it alike');
    else t.match(verdict, { kind: 'refused', status: v.status }, `lbarray refuses with ${v.status}`);
  });
}

// Each shape excusedRefusal, excusedKeepAlive and excusedProxyConnection let through, by name: the
// RFC allows what lbarray does and llhttp reads it otherwise (see each function for the section).
const documentedDifferences: Array<{ name: string; kind: 'request' | 'response'; head: string; why: string }> = [
  { name: 'a list of identical lengths', kind: 'request', head: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\n', why: 'identical Content-Length values' },
  { name: 'two identical Content-Length fields', kind: 'request', head: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n', why: 'identical Content-Length values' },
  { name: 'identical lengths in a response', kind: 'response', head: 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n', why: 'identical Content-Length values' },
  { name: 'an extension method', kind: 'request', head: 'FOO / HTTP/1.1\r\nHost: a\r\n\r\n', why: 'extension method' },
  { name: 'HTTP/1.2 read as HTTP/1.1', kind: 'request', head: 'GET / HTTP/1.2\r\nHost: a\r\n\r\n', why: 'HTTP/1 minor version above 1' },
  { name: 'chunked then a tab', kind: 'request', head: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\t\r\n\r\n', why: 'tab or empty list element in a framing or Connection field' },
  { name: 'chunked then an empty list element', kind: 'request', head: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, \r\n\r\n', why: 'tab or empty list element in a framing or Connection field' },
  { name: 'a length then a tab', kind: 'request', head: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\t\r\n\r\n', why: 'tab or empty list element in a framing or Connection field' },
  { name: 'a chunked response with a tab after chunked (llhttp reads it until close)', kind: 'response', head: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\t\r\n\r\n', why: 'tab or empty list element in a framing or Connection field' },
  { name: 'PRI in an HTTP/1.0 request line', kind: 'request', head: 'PRI / HTTP/1.0\r\n\r\n', why: 'extension method' },
  { name: 'PRI in an HTTP/1.1 request line', kind: 'request', head: 'PRI / HTTP/1.1\r\nHost: a\r\n\r\n', why: 'extension method' },
  { name: 'close then a tab', kind: 'request', head: 'GET / HTTP/1.1\r\nHost: a\r\nConnection: close\t\r\n\r\n', why: 'tab or empty list element in a framing or Connection field' },
  { name: 'HTTP/1.0 with keep-alive and close', kind: 'request', head: 'GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n', why: 'close with keep-alive on HTTP/1.0' },
  { name: 'Proxy-Connection: close', kind: 'request', head: 'GET / HTTP/1.1\r\nHost: a\r\nProxy-Connection: close\r\n\r\n', why: 'Proxy-Connection read as Connection' },
];
for (const d of documentedDifferences) {
  t.test(`documented difference (${d.kind}): ${d.name}`, async (t) => {
    t.same((d.kind === 'request' ? compareRequest : compareResponse)(d.head), { kind: 'excused', why: d.why });
  });
}
