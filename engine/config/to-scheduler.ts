// The config as the scheduler and the CDN see it: plain option objects of their own modules.
import type { PageCacheOptions } from '../cdn/page-cache.js';
import type { RewriteRules } from '../cdn/url-policy.js';
import type { ServiceSpec } from '../scheduler/service-set.js';
import type { Config, RouteConfig } from './schema.js';

/** Every (VIP, TCP port) the scheduler forwards; all other traffic is dropped and counted. */
export function schedulerServices(c: Config): ServiceSpec[] {
  const vips = [c.vip.ipv4, c.vip.ipv6].filter((v): v is string => v !== undefined);
  return vips.flatMap((vip) => c.services.map((s) => ({ vip, proto: 'tcp' as const, port: s.port })));
}

/** The LB nodes in config order with their weights: the input of the Maglev table. */
export function maglevNodes(c: Config): Array<{ id: string; weight: number }> {
  return c.nodes.map((n) => ({ id: n.id, weight: n.weight }));
}

/** A route's CDN rewrite rules (the config's `cdn` block is shaped as RewriteRules), or undefined. */
export function cdnRules(route: RouteConfig): RewriteRules | undefined {
  if (!route.cdn) return undefined;
  const { baseUrls, include, exclude, rewriteAnchors } = route.cdn;
  return { baseUrls, include, exclude, rewriteAnchors };
}

/** The page cache of a route, when it caches. */
export function cdnCacheOptions(route: RouteConfig): PageCacheOptions | undefined {
  return route.cdn?.cache.enabled ? { maxBytes: route.cdn.cache.maxBytes } : undefined;
}
