// URL-based scheduling (claim 10): ordered rules (host, path prefix, regex) choose the pool;
// the first match wins, else the service's default pool.
import { LbError } from '../errors.js';
import type { RouteRule } from './types.js';

interface CompiledRule { host: string | undefined; prefix: string | undefined; regex: RegExp | undefined; pool: string }

export class Router {
  private readonly rules: CompiledRule[];
  constructor(rules: readonly RouteRule[], private readonly defaultPool: string, pools: ReadonlySet<string>) {
    for (const name of [defaultPool, ...rules.map((r) => r.pool)]) {
      if (!pools.has(name)) throw new LbError('ERR_L7_NO_SUCH_POOL', `A route names pool ${JSON.stringify(name)}, which is not configured.`);
    }
    this.rules = rules.map((r) => {
      let regex: RegExp | undefined;
      if (r.pathRegex !== undefined) {
        try { regex = new RegExp(r.pathRegex); } catch (e) {
          throw new LbError('ERR_L7_ROUTE_REGEX', `The route regex ${JSON.stringify(r.pathRegex)} is invalid: ${(e as Error).message}`);
        }
      }
      return { host: r.host?.toLowerCase(), prefix: r.pathPrefix, regex, pool: r.pool };
    });
  }

  route(host: string | undefined, target: string): string {
    if (this.rules.length === 0) return this.defaultPool;
    let h: string | undefined;
    for (const r of this.rules) {
      if (r.host !== undefined) {
        h ??= hostOnly(host);
        if (h !== r.host) continue;
      }
      if (r.prefix !== undefined && !target.startsWith(r.prefix)) continue;
      if (r.regex !== undefined && !r.regex.test(target)) continue;
      return r.pool;
    }
    return this.defaultPool;
  }
}

/** The Host header without port, lower-cased ("" when absent). */
export function hostOnly(host: string | undefined): string {
  if (host === undefined) return '';
  const h = host.toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  const colon = h.indexOf(':');
  return colon < 0 ? h : h.slice(0, colon);
}
