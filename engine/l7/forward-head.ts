// Heads as they leave the proxy: hop-by-hop fields dropped (Connection, Keep-Alive, Proxy-*, TE,
// Trailer, Transfer-Encoding, Upgrade and whatever Connection names), framing restated, and the
// forwarding fields (X-Forwarded-For, X-Forwarded-Proto, Forwarded, optional Via) set.
import type { RequestHead, ResponseHead } from './http/parser.js';

/** Per-client-connection facts, computed once when the connection opens. */
export interface ForwardInfo {
  address: string;
  /** "for=…;proto=…" for the Forwarded field (IPv6 quoted and bracketed, RFC 7239). */
  forwardedElement: string;
  /** The fixed tail appended to every request when the client sent no forwarding fields. */
  defaultTail: string;
  proto: 'http' | 'https';
  via: string;
}

export function forwardInfo(address: string, proto: 'http' | 'https', via: string | undefined): ForwardInfo {
  const node = address.includes(':') ? `"[${address}]"` : address;
  const forwardedElement = `for=${node};proto=${proto}`;
  const viaLine = via === undefined ? '' : `Via: 1.1 ${via}\r\n`;
  return {
    address, forwardedElement, proto, via: viaLine,
    defaultTail: `X-Forwarded-For: ${address}\r\nX-Forwarded-Proto: ${proto}\r\nForwarded: ${forwardedElement}\r\n${viaLine}`,
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

export function forwardRequestHead(h: RequestHead, f: ForwardInfo): string {
  let out = `${h.method} ${h.target} HTTP/1.1\r\n` + keptFields(h.names, h.values, h.hop);
  // An HTTP/1.0 request may lack Host; HTTP/1.1 requires the field, empty when unknown.
  if (h.host === undefined) out += 'Host: \r\n';
  if (h.chunked) out += 'Transfer-Encoding: chunked\r\n';
  if (h.upgrade !== undefined) out += `Connection: upgrade\r\nUpgrade: ${h.upgrade}\r\n`;
  if (h.xForwardedFor === undefined && h.forwarded === undefined) return `${out}${f.defaultTail}\r\n`;
  out += `X-Forwarded-For: ${h.xForwardedFor === undefined ? f.address : `${h.xForwardedFor}, ${f.address}`}\r\n`;
  out += `X-Forwarded-Proto: ${f.proto}\r\n`;
  out += `Forwarded: ${h.forwarded === undefined ? f.forwardedElement : `${h.forwarded}, ${f.forwardedElement}`}\r\n`;
  return `${out}${f.via}\r\n`;
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

export function forwardResponseHead(h: ResponseHead, framing: ResponseFraming, addHeaders: string, via: string): string {
  let out = `HTTP/1.1 ${h.status} ${h.reason}\r\n` + keptFields(h.names, h.values, h.hop);
  if (framing.chunked) out += 'Transfer-Encoding: chunked\r\n';
  if (framing.close) out += 'Connection: close\r\n';
  else if (framing.keepAlive10) out += 'Connection: keep-alive\r\n';
  return `${out}${addHeaders}${via}\r\n`;
}

/** The 101 answer to an upgrade: hop-by-hop fields restated for the tunnel. */
export function forwardSwitchingHead(h: ResponseHead, upgrade: string | undefined): string {
  let out = `HTTP/1.1 101 ${h.reason}\r\n` + keptFields(h.names, h.values, h.hop);
  out += `Connection: upgrade\r\n`;
  if (upgrade !== undefined) out += `Upgrade: ${upgrade}\r\n`;
  return `${out}\r\n`;
}
