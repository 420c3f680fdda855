// Heads as they leave the proxy: hop-by-hop fields dropped (Connection, Keep-Alive, Proxy-*, TE,
// Trailer, Transfer-Encoding, Upgrade and whatever Connection names), framing restated (chunked,
// and a Content-Length that came in an odd form), and the
// forwarding fields (X-Forwarded-For, X-Forwarded-Proto, Forwarded, optional Via) set.
// Request and response heads leave as one Buffer written from the head's text (the kept field
// lines as they came), with the proxy's own lines appended: no per-field strings.
import type { HeadFields, RequestHead, ResponseHead } from './http/parser.js';

/** Per-client-connection facts, computed once when the connection opens. */
export interface ForwardInfo {
  address: string;
  /** "for=…;proto=…" for the Forwarded field (IPv6 quoted and bracketed, RFC 7239). */
  forwardedElement: string;
  /** The fixed end of every request head when the client sent no forwarding fields (through the empty line). */
  defaultEnd: string;
  proto: 'http' | 'https';
  via: string;
}

export function forwardInfo(address: string, proto: 'http' | 'https', via: string | undefined): ForwardInfo {
  const node = address.includes(':') ? `"[${address}]"` : address;
  const forwardedElement = `for=${node};proto=${proto}`;
  const viaLine = via === undefined ? '' : `Via: 1.1 ${via}\r\n`;
  return {
    address, forwardedElement, proto, via: viaLine,
    defaultEnd: `X-Forwarded-For: ${address}\r\nX-Forwarded-Proto: ${proto}\r\nForwarded: ${forwardedElement}\r\n${viaLine}\r\n`,
  };
}

function keptFields(names: string[], values: string[], hop: number[]): string {
  let out = '';
  if (hop.length === 0) {
    for (let i = 0; i < names.length; i++) out += `${names[i]}: ${values[i]}\r\n`;
    return out;
  }
  for (let i = 0; i < names.length; i++) if (!hop.includes(i)) out += `${names[i]}: ${values[i]}\r\n`;
  return out;
}

/** The fields a request gains on its way out, and the empty line that ends its head. */
function requestTail(h: RequestHead, f: ForwardInfo): string {
  // An HTTP/1.0 request may lack Host; HTTP/1.1 requires the field, empty when unknown.
  // An absolute-form target's authority is the host (its Host fields are in hop).
  let out = h.host === undefined ? 'Host: \r\n' : h.absoluteForm ? `Host: ${h.host}\r\n` : '';
  if (h.chunked) out += 'Transfer-Encoding: chunked\r\n';
  else if (h.restateLength) out += `Content-Length: ${h.contentLength}\r\n`;
  if (h.upgrade !== undefined) out += `Connection: upgrade\r\nUpgrade: ${h.upgrade}\r\n`;
  if (h.xForwardedFor === undefined && h.forwarded === undefined) return out === '' ? f.defaultEnd : `${out}${f.defaultEnd}`;
  out += `X-Forwarded-For: ${h.xForwardedFor === undefined ? f.address : `${h.xForwardedFor}, ${f.address}`}\r\n`;
  out += `X-Forwarded-Proto: ${f.proto}\r\n`;
  out += `Forwarded: ${h.forwarded === undefined ? f.forwardedElement : `${h.forwarded}, ${f.forwardedElement}`}\r\n`;
  return `${out}${f.via}\r\n`;
}

/**
 * A head as it leaves, as latin1 text: the first line (`firstLine`, or the one received), the
 * field lines received less the hop-by-hop ones, then `tail`. Built from the head's text (slices,
 * no per-field strings): cheaper than copying each kept run of the received bytes (each Buffer
 * copy makes a view).
 */
function assembleText(h: HeadFields, firstLine: string | undefined, tail: string): string {
  const text = h.text;
  const fieldsFrom = h.fieldsAt;
  let head = firstLine === undefined ? text.slice(0, fieldsFrom) : firstLine;
  if (h.hop.length === 0) head += text.slice(fieldsFrom);
  else {
    // Field i is line i after the first; runs of kept lines are sliced whole.
    let kept = fieldsFrom;
    for (let pos = fieldsFrom, i = 0; pos < text.length; i++) {
      const next = text.indexOf('\n', pos) + 1;
      if (h.hop.includes(i)) { head += text.slice(kept, pos); kept = next; }
      pos = next;
    }
    head += text.slice(kept);
  }
  return head + tail;
}

/** The head followed by `body[bodyStart, bodyEnd)`, in one Buffer (one write). */
function withBody(head: string, body?: Buffer, bodyStart = 0, bodyEnd = 0): Buffer {
  if (bodyEnd === bodyStart) return Buffer.from(head, 'latin1');
  const out = Buffer.allocUnsafe(head.length + bodyEnd - bodyStart);
  out.write(head, 0, 'latin1');
  body!.copy(out, head.length, bodyStart, bodyEnd);
  return out;
}

/**
 * The request head for the back-end, as latin1 text: written as a string, a small head goes
 * from the string to the kernel with no Buffer made for it. `extraLines`: field lines to add.
 */
export function forwardRequestHead(h: RequestHead, f: ForwardInfo, extraLines = ''): string {
  // The request line goes as received when it says HTTP/1.1 in origin form (the parser checked its form), else restated.
  const lineEnd = h.fieldsAt - 2;
  const as11 = h.minor === 1 && !h.absoluteForm && h.text.charCodeAt(lineEnd - 1) === 49 && h.text.charCodeAt(lineEnd - 3) === 49;
  const tail = requestTail(h, f);
  return assembleText(h, as11 ? undefined : `${h.method} ${h.target} HTTP/1.1\r\n`, extraLines === '' ? tail : extraLines + tail);
}

/** The forwarding fields of a request as a map (for requests sent with node's HTTP client). */
export function forwardingFields(h: RequestHead, f: ForwardInfo): Record<string, string> {
  const out: Record<string, string> = {
    'x-forwarded-for': h.xForwardedFor === undefined ? f.address : `${h.xForwardedFor}, ${f.address}`,
    'x-forwarded-proto': f.proto,
    forwarded: h.forwarded === undefined ? f.forwardedElement : `${h.forwarded}, ${f.forwardedElement}`,
  };
  if (f.via !== '') out.via = f.via.slice(5, -2);
  return out;
}

export interface ResponseFraming {
  /** Keep the body chunked toward the client. */
  chunked: boolean;
  /** The client connection closes after this response. */
  close: boolean;
  /** HTTP/1.0 client that keeps the connection: say so. */
  keepAlive10: boolean;
}

/** The response head for the client, followed by `body[bodyStart, bodyEnd)` in the same Buffer. */
export function forwardResponseHead(h: ResponseHead, framing: ResponseFraming, addHeaders: string, via: string,
  body?: Buffer, bodyStart = 0, bodyEnd = 0): Buffer {
  let tail = framing.chunked ? 'Transfer-Encoding: chunked\r\n' : h.restateLength ? `Content-Length: ${h.contentLength}\r\n` : '';
  if (framing.close) tail += 'Connection: close\r\n';
  else if (framing.keepAlive10) tail += 'Connection: keep-alive\r\n';
  return withBody(assembleText(h, h.minor === 1 ? undefined : `HTTP/1.1 ${h.status} ${h.reason}\r\n`, `${tail}${addHeaders}${via}\r\n`), body, bodyStart, bodyEnd);
}

/** The 101 answer to an upgrade: hop-by-hop fields restated for the tunnel. */
export function forwardSwitchingHead(h: ResponseHead, upgrade: string | undefined): string {
  let out = `HTTP/1.1 101 ${h.reason}\r\n` + keptFields(h.names, h.values, h.hop);
  out += `Connection: upgrade\r\n`;
  if (upgrade !== undefined) out += `Upgrade: ${upgrade}\r\n`;
  return `${out}\r\n`;
}
