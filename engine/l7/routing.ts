// URL-based scheduling (claim 10): ordered rules (host, path prefix, regex) choose the pool;
// the first match wins, else the service's default pool. Paths are matched normalized
// (routing-path.ts), so that a rule sees the path the back-end will. A route may carry a per-route extra
// (the worker's CDN rewriter), built once here so that the request path only reads a field.
import { LbError } from '../errors.js';
import type { RouteCdnOptions, RouteRule } from './types.js';
import { routingPath } from './routing-path.js';

/** What a request is routed to: the pool, and the route's CDN handler when it has one. */
export interface Route<C> { pool: string; cdn: C | undefined }

interface CompiledRule<C> extends Route<C> { host: string | undefined; prefix: string | undefined; regex: RegExp | undefined }

export class Router<C = never> {
  private readonly rules: CompiledRule<C>[];
  private readonly fallback: Route<C>;
  /** `cdnOf` builds a route's CDN handler from its rules (`defaultCdn`: those of the default route). */
  constructor(rules: readonly RouteRule[], defaultPool: string, pools: ReadonlySet<string>,
    cdnOf?: (o: RouteCdnOptions) => C, defaultCdn?: RouteCdnOptions) {
    for (const name of [defaultPool, ...rules.map((r) => r.pool)]) {
      if (!pools.has(name)) throw new LbError('ERR_L7_NO_SUCH_POOL', `A route names pool ${JSON.stringify(name)}, which is not configured.`);
    }
    const build = (o: RouteCdnOptions | undefined): C | undefined => (o === undefined || cdnOf === undefined ? undefined : cdnOf(o));
    this.rules = rules.map((r) => {
      let regex: RegExp | undefined;
      if (r.pathRegex !== undefined) {
        try { regex = new RegExp(r.pathRegex); } catch (e) {
          throw new LbError('ERR_L7_ROUTE_REGEX', `The route regex ${JSON.stringify(r.pathRegex)} is invalid: ${(e as Error).message}`);
        }
      }
      return { host: r.host?.toLowerCase(), prefix: r.pathPrefix, regex, pool: r.pool, cdn: build(r.cdn) };
    });
    this.fallback = { pool: defaultPool, cdn: build(defaultCdn) };
  }

  route(host: string | undefined, target: string): string {
    return this.pick(host, target).pool;
  }

  pick(host: string | undefined, target: string): Route<C> {
    if (this.rules.length === 0) return this.fallback;
    let h: string | undefined;
    let path: string | undefined;
    for (const r of this.rules) {
      if (r.host !== undefined) {
        h ??= hostOnly(host);
        if (h !== r.host) continue;
      }
      // Prefixes and regexes read the path as the back-end will (dot segments, escapes, slashes: routing-path.ts).
      if (r.prefix !== undefined && !(path ??= routingPath(target)).startsWith(r.prefix)) continue;
      if (r.regex !== undefined && !r.regex.test(path ??= routingPath(target))) continue;
      return r;
    }
    return this.fallback;
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
