// A service that answers every request with a redirect (nginx's `return 301 https://$host$request_uri`,
// HAProxy's `redirect scheme https`): the usual port 80 in front of an HTTPS site. The target is
// the request's own URL with the parts the rule names replaced. Pure functions: the connection
// writes what redirectResponse returns.
import { plainResponse } from './error-pages.js';
import { hostOnly } from './routing.js';

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

const DEFAULT_PORT = { http: 80, https: 443 } as const;
// A Host header a URL can carry back (the client's bytes go into our Location field): a name or
// an IPv6 literal, and an optional port.
const HOST_FIELD = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(:[0-9]*)?$/;

/**
 * Where a request for `target` (origin form: "/path?query"), with Host header `host`, on a
 * service of scheme `own`, is sent. Undefined when the request names no usable host and the rule
 * gives none (the caller answers 400).
 */
export function redirectLocation(rule: RedirectRule, own: 'http' | 'https', host: string | undefined, target: string): string | undefined {
  const scheme = rule.scheme ?? own;
  const h = rule.host ?? (host !== undefined && HOST_FIELD.test(host) ? hostOnly(host) : undefined);
  if (h === undefined) return undefined;
  const port = rule.port === undefined || rule.port === DEFAULT_PORT[scheme] ? '' : `:${rule.port}`;
  // An asterisk target (OPTIONS *) has no path of its own to keep; the parser gives an absolute-form one its origin form.
  const path = target.startsWith('/') ? target : '/';
  return `${scheme}://${h}${port}${path}`;
}

/** The whole response: status line, Location, a one-line body. */
export function redirectResponse(status: RedirectStatus, location: string, close: boolean): Buffer {
  return plainResponse(status, `Location: ${location}\r\n`, location, close);
}
