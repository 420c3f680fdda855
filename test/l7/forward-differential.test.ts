// What the proxy sends on, read by a second parser: for every request head lbarray accepts, the
// head it forwards to the back-end (engine/l7/forward-head.ts) must be one that node's llhttp
// (strict, as node's http server runs it) and lbarray itself read alike: the same method and
// target, the same body framing, a connection kept alive, and no hop-by-hop field left. Likewise
// every response head lbarray accepts, as it goes on to the client. A head the proxy accepts but
// forwards in a form its back-end refuses or frames otherwise would break that back-end's
// connection, or worse, let the body be read as another request.
import t from 'tap';
import fc from 'fast-check';
import { parseRequestHead, parseResponseHead, responseBodyKind, type RequestHead, type ResponseHead } from '../../engine/l7/http/parser.js';
import { forwardInfo, forwardRequestHead, forwardResponseHead } from '../../engine/l7/forward-head.js';
import { defaultHeadLimits } from '../../engine/l7/http/limits.js';
import { llhttpMethods, llhttpRead } from './llhttp.js';
import { requestHead, responseHead } from './head-grammar.js';

const L = defaultHeadLimits;
const INFO = forwardInfo('198.18.0.9', 'http', undefined);
const CHUNKED_BODY = '3\r\nabc\r\n0\r\n\r\n';
const LONGEST_BODY_SENT = 4096;
/** Fields that must not leave the proxy as received (RFC 9110 7.6.1; Proxy-* are the client's to its proxy). */
const HOP_BY_HOP = /^(keep-alive|te|trailer|proxy-[^:]*):/im;

const parseOrNull = <T>(parse: () => T): T | null => { try { return parse(); } catch { return null; } };

/** Why the forwarded request head `out` is read otherwise than lbarray read the client's `h`; undefined when it is not. */
function requestDisagreement(h: RequestHead, out: string): string | undefined {
  const again = parseOrNull(() => parseRequestHead(Buffer.from(out, 'latin1'), 0, L));
  if (again === null) return 'lbarray refuses the head it forwards';
  if (again.method !== h.method || again.target !== h.target) return `request line: ${again.method} ${again.target}`;
  if (again.chunked !== h.chunked || (!h.chunked && Math.max(again.contentLength, 0) !== Math.max(h.contentLength, 0))) {
    return `framing: chunked ${again.chunked}, length ${again.contentLength}`;
  }
  if (!again.keepAlive) return 'the back-end connection is not kept alive';
  if (again.upgrade !== h.upgrade) return `upgrade: ${again.upgrade}`;
  if (HOP_BY_HOP.test(out.slice(again.fieldsAt))) return 'a hop-by-hop field is forwarded';
  // llhttp: the head, the body as lbarray frames it, then the next request on the same connection.
  const length = h.chunked ? 0 : Math.max(h.contentLength, 0);
  const body = h.chunked ? CHUNKED_BODY : 'x'.repeat(Math.min(length, LONGEST_BODY_SENT));
  const whole = length <= LONGEST_BODY_SENT;
  const ll = llhttpRead('request', Buffer.from(out + body + (whole ? 'GET /second HTTP/1.1\r\nHost: b\r\n\r\n' : ''), 'latin1'));
  // A method is any token (RFC 9110 9.1) and goes on as received; llhttp knows a fixed list, and
  // reads any PRI request line as the start of HTTP/2's preface (RFC 9113 3.4).
  if ((ll.error === 'HPE_INVALID_METHOD' && !llhttpMethods.has(h.method)) || (ll.error !== undefined && h.method === 'PRI')) return undefined;
  if (ll.error !== undefined) return `llhttp refused: ${ll.error}`;
  const [first, second] = ll.messages;
  if (first === undefined || first.url !== h.target) return `llhttp read the target as ${JSON.stringify(first?.url)}`;
  if (h.upgrade !== undefined) return first.upgrade ? undefined : 'llhttp saw no upgrade';
  if (!whole) return ll.messages.length === 1 && first.bodyBytes === body.length ? undefined : 'llhttp ended a long body early';
  if (!first.complete || first.bodyBytes !== (h.chunked ? 3 : length)) return `llhttp read ${first.bodyBytes} body bytes`;
  if (!first.shouldKeepAlive) return 'llhttp would close the back-end connection';
  return ll.messages.length === 2 && second.url === '/second' ? undefined : `llhttp read ${ll.messages.length} messages`;
}

/** Why the response head `out` the proxy sends to a keep-alive HTTP/1.1 client (after a GET) is read otherwise than lbarray read `res`. */
function responseDisagreement(res: ResponseHead, out: Buffer): string | undefined {
  const kind = responseBodyKind(res, 'GET');
  const again = parseOrNull(() => parseResponseHead(out, 0, L));
  if (again === null) return 'lbarray refuses the head it sends';
  if (again.status !== res.status) return `status ${again.status}`;
  if (responseBodyKind(again, 'GET') !== kind || (kind === 'length' && again.contentLength !== res.contentLength)) return `framing: ${responseBodyKind(again, 'GET')}`;
  if (HOP_BY_HOP.test(out.toString('latin1', again.fieldsAt))) return 'a hop-by-hop field is sent on';
  if (res.status === 101) return undefined; // a tunnel: lbarray sends its own 101 (forwardSwitchingHead)
  const length = kind === 'length' ? res.contentLength : 0;
  const body = kind === 'chunked' ? CHUNKED_BODY : kind === 'close' ? 'abc' : 'x'.repeat(Math.min(length, LONGEST_BODY_SENT));
  const whole = kind !== 'close' && length <= LONGEST_BODY_SENT;
  const ll = llhttpRead('response', Buffer.concat([out, Buffer.from(body + (whole ? 'HTTP/1.1 204 No Content\r\n\r\n' : ''), 'latin1')]), kind === 'close');
  if (ll.error !== undefined) return `llhttp refused: ${ll.error}`;
  const [first, second] = ll.messages;
  if (first === undefined || first.status !== res.status) return `llhttp read status ${first?.status}`;
  if (kind === 'close') return ll.completeBeforeFinish === 0 ? undefined : 'llhttp ended a body read until close';
  if (!whole) return ll.messages.length === 1 && first.bodyBytes === body.length ? undefined : 'llhttp ended a long body early';
  if (!first.complete || first.bodyBytes !== (kind === 'chunked' ? 3 : length)) return `llhttp read ${first.bodyBytes} body bytes`;
  if (res.status >= 200 && !first.shouldKeepAlive) return 'llhttp would close the client connection';
  return ll.messages.length === 2 && second.status === 204 ? undefined : `llhttp read ${ll.messages.length} messages`;
}

t.test('every request head lbarray accepts leaves for the back-end in a form llhttp and lbarray read alike', async (t) => {
  let forwarded = 0;
  fc.assert(fc.property(requestHead, (head) => {
    const h = parseOrNull(() => parseRequestHead(Buffer.from(head, 'latin1'), 0, L));
    if (h === null) return;
    forwarded++;
    const out = forwardRequestHead(h, INFO);
    const why = requestDisagreement(h, out);
    if (why !== undefined) throw new Error(`${why}\nreceived ${JSON.stringify(head)}\nforwarded ${JSON.stringify(out)}`);
  }), { numRuns: 4000 });
  t.ok(forwarded > 400, `${forwarded} accepted heads forwarded`);
});

t.test('every response head lbarray accepts goes on to the client in a form llhttp and lbarray read alike', async (t) => {
  let sent = 0;
  fc.assert(fc.property(responseHead, (head) => {
    const res = parseOrNull(() => parseResponseHead(Buffer.from(head, 'latin1'), 0, L));
    if (res === null) return;
    sent++;
    const kind = responseBodyKind(res, 'GET');
    const out = forwardResponseHead(res, { chunked: kind === 'chunked', close: false, keepAlive10: false }, '', '');
    const why = responseDisagreement(res, out);
    if (why !== undefined) throw new Error(`${why}\nreceived ${JSON.stringify(head)}\nsent ${JSON.stringify(out.toString('latin1'))}`);
  }), { numRuns: 3000 });
  t.ok(sent > 300, `${sent} accepted heads sent on`);
});
