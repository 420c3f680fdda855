// Cookie injection (claim 6): the LB sets its own cookie whose value is an HMAC of the pool and
// server id under a secret shared by all workers: opaque (no address, not forgeable into another
// server), and the same in every worker. A cookie naming a server that is down or unknown is
// ignored; the new choice gets a fresh cookie.
import { createHmac } from 'node:crypto';
import type { RequestHead } from '../http/parser.js';
import { cookieValue } from './cookies.js';
import type { Persistence } from './persistence.js';

export function serverToken(secret: string, pool: string, serverId: string): string {
  return createHmac('sha256', secret).update(`${pool}\0${serverId}`).digest('base64url').slice(0, 22);
}

export class CookieInjection implements Persistence {
  private readonly byToken = new Map<string, number>();
  private readonly setCookie: string[];
  constructor(private readonly name: string, secret: string, pool: string, ids: readonly string[],
    attributes: { maxAgeSeconds?: number; secure?: boolean } = {}) {
    const tokens = ids.map((id) => serverToken(secret, pool, id));
    tokens.forEach((tok, i) => this.byToken.set(tok, i));
    const age = attributes.maxAgeSeconds === undefined ? '' : `; Max-Age=${attributes.maxAgeSeconds}`;
    // Secure: the browser sends it back over HTTPS only (a site served only through TLS listeners).
    const secure = attributes.secure === true ? '; Secure' : '';
    this.setCookie = tokens.map((tok) => `Set-Cookie: ${name}=${tok}; Path=/; HttpOnly${secure}${age}\r\n`);
    this.tokens = tokens;
  }
  private readonly tokens: string[];

  lookup(req: RequestHead): number {
    const tok = cookieValue(req.cookie, this.name);
    return tok === undefined ? -1 : this.byToken.get(tok) ?? -1;
  }
  chosen(req: RequestHead, _client: string, server: number): string {
    return cookieValue(req.cookie, this.name) === this.tokens[server] ? '' : this.setCookie[server];
  }
  learn(): void {}
}
