// A service that answers every request with a redirect (nginx's `return 301 https://$host$request_uri`,
// HAProxy's `redirect scheme https`): the usual port 80 in front of an HTTPS site. The target is
// the request's own URL with the parts the rule names replaced. Pure functions: the connection
// writes what redirectResponse returns.

export type RedirectStatus = 301 | 302 | 303 | 307 | 308;

export interface RedirectRule {
  /** The scheme of the new URL; the service's own when absent. */
  scheme?: 'http' | 'https';
  /** The host of the new URL; the request's Host (without its port) when absent. */
  host?: string;
  /** The port of the new URL; left out (the scheme's default) when absent. */
  port?: number;
  status: RedirectStatus;
}

const REASONS: Record<RedirectStatus, string> = {
  301: 'Moved Permanently', 302: 'Found', 303: 'See Other', 307: 'Temporary Redirect', 308: 'Permanent Redirect',
};
const DEFAULT_PORT = { http: 80, https: 443 } as const;

/** The host part of a Host header (an IPv6 literal keeps its brackets), or undefined when it is none. */
function hostOf(header: string | undefined): string | undefined {
  if (header === undefined || header === '') return undefined;
  const end = header.startsWith('[') ? header.indexOf(']') + 1 : header.lastIndexOf(':') >= 0 ? header.lastIndexOf(':') : header.length;
  const host = header.slice(0, end);
  // Only what a URL may carry as a host: the header is the client's, and goes back in a header.
  return /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)$/.test(host) ? host.toLowerCase() : undefined;
}

/**
 * Where a request for `target` (origin form: "/path?query"), with Host header `host`, on a
 * service of scheme `own`, is sent. Undefined when the request names no usable host and the rule
 * gives none (the caller answers 400).
 */
export function redirectLocation(rule: RedirectRule, own: 'http' | 'https', host: string | undefined, target: string): string | undefined {
  const scheme = rule.scheme ?? own;
  const h = rule.host ?? hostOf(host);
  if (h === undefined) return undefined;
  const port = rule.port === undefined || rule.port === DEFAULT_PORT[scheme] ? '' : `:${rule.port}`;
  // An absolute-form or asterisk target has no path of its own to keep.
  const path = target.startsWith('/') ? target : '/';
  return `${scheme}://${h}${port}${path}`;
}

/** The whole response: status line, Location, a one-line body. */
export function redirectResponse(status: RedirectStatus, location: string, close: boolean): Buffer {
  const body = `${status} ${REASONS[status]}\n${location}\n`;
  return Buffer.from(`HTTP/1.1 ${status} ${REASONS[status]}\r\nLocation: ${location}\r\nContent-Type: text/plain; charset=utf-8\r\n`
    + `Content-Length: ${Buffer.byteLength(body, 'latin1')}\r\n${close ? 'Connection: close\r\n' : ''}\r\n${body}`, 'latin1');
}
