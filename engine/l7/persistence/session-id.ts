// Session-ID persistence (claim 5): the back-end's own session cookie (JSESSIONID, PHPSESSID…)
// or `;jsessionid=` path parameter is learnt from responses (Set-Cookie, Location) and looked up
// on requests, through the shared hash-group table so every worker knows every session.
import type { RequestHead, ResponseHead } from '../http/parser.js';
import { cookieValue, setCookiePair } from './cookies.js';
import type { HashGroupTable } from './hash-groups.js';
import type { Persistence } from './persistence.js';

export const DEFAULT_SESSION_NAMES = ['JSESSIONID', 'PHPSESSID', 'ASPSESSIONID', 'SESSIONID', 'sid'];

/** The value of a `;name=` path parameter in a URL (case-insensitive name), if any. */
export function pathParameter(url: string, name: string): string | undefined {
  const at = url.toLowerCase().indexOf(`;${name.toLowerCase()}=`);
  if (at < 0) return undefined;
  const from = at + name.length + 2;
  let end = from;
  while (end < url.length) {
    const c = url.charCodeAt(end);
    if (c === 63 /* ? */ || c === 35 /* # */ || c === 59 /* ; */ || c === 47 /* / */) break;
    end++;
  }
  return end > from ? url.slice(from, end) : undefined;
}

export class SessionIdPersistence implements Persistence {
  /** `inUrl`: also `;name=` path parameters (of request targets and of Location answers). */
  constructor(private readonly names: readonly string[], private readonly table: HashGroupTable, private readonly inUrl = true) {}

  private requestSession(req: RequestHead): string | undefined {
    for (const n of this.names) {
      const v = cookieValue(req.cookie, n) ?? (this.inUrl ? pathParameter(req.target, n) : undefined);
      if (v !== undefined && v !== '') return v;
    }
    return undefined;
  }

  lookup(req: RequestHead): number {
    const id = this.requestSession(req);
    return id === undefined ? -1 : this.table.lookup(id);
  }

  chosen(req: RequestHead, _client: string, server: number): string {
    const id = this.requestSession(req);
    if (id !== undefined && this.table.lookup(id) !== server) this.table.assign(id, server);
    return '';
  }

  learn(res: ResponseHead, server: number): void {
    if (res.setCookies !== undefined) {
      for (const sc of res.setCookies) {
        const pair = setCookiePair(sc);
        if (pair !== undefined && pair[1] !== '' && this.names.includes(pair[0])) this.table.assign(pair[1], server);
      }
    }
    if (this.inUrl && res.location !== undefined) {
      for (const n of this.names) {
        const v = pathParameter(res.location, n);
        if (v !== undefined) this.table.assign(v, server);
      }
    }
  }
}
