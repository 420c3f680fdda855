// Maps the config onto the L7 node's plain options (engine/l7/types.ts): the proxy never reads
// the config file, the config layer never reaches into the proxy. Certificate, key and CA files
// are read here (they were validated by the loader).
import fs from 'node:fs';
import type { HealthCheckOptions, L7Options, PersistenceOptions, PolicyOptions, PoolOptions, RouteCdnOptions, RouteRule, ServiceOptions } from '../l7/types.js';
import { cdnRules } from './to-scheduler.js';
import type { Config, NodeConfig, PoolConfig, RouteConfig } from './schema.js';
import type { Policy } from './schema.js';

export function l7Policy(p: Policy): PolicyOptions {
  switch (p.type) {
    case 'roundrobin': return { kind: 'round-robin' };
    case 'weighted': return { kind: 'weighted-round-robin' };
    case 'leastconn': return { kind: 'least-connections' };
    default:
      if (p.by === 'header') return { kind: 'hash', on: { header: p.name } };
      if (p.by === 'cookie') return { kind: 'hash', on: { cookie: p.name } };
      if (p.by === 'url') return { kind: 'hash', on: p.includeQuery ? 'url' : 'path' };
      return { kind: 'hash', on: 'client-address' };
  }
}

function l7Persistence(c: Config, pool: PoolConfig): PersistenceOptions | undefined {
  if (pool.persistence === 'cookie') {
    const { name, maxAge, secure, secret } = c.persistence.cookie;
    // One key for the whole array and every reload: a node honours the cookies any node set.
    return { kind: 'cookie', name, secure, secret: secret ?? `lbarray cookie key of array ${c.name}`,
      ...(maxAge !== undefined ? { maxAgeSeconds: Math.round(maxAge / 1000) } : {}) };
  }
  if (pool.persistence === 'session-id') {
    return { kind: 'session-id', names: [...c.persistence.sessionIds.names], groups: c.persistence.hashGroups, inUrl: c.persistence.sessionIds.inUrl };
  }
  if (pool.persistence === 'client-address') return { kind: 'client-address', groups: c.persistence.hashGroups };
  return undefined;
}

function l7Health(pool: PoolConfig): HealthCheckOptions {
  const h = pool.healthCheck;
  return { path: h.path, expectStatus: [...h.status], intervalMs: h.interval, timeoutMs: h.timeout, rise: h.rise, fall: h.fall };
}

function l7Pool(c: Config, name: string, pool: PoolConfig, policy: Policy): PoolOptions {
  return {
    name,
    servers: pool.servers.map((s) => ({ id: `${s.address.includes(':') ? `[${s.address}]` : s.address}:${s.port}`, host: s.address, port: s.port, weight: s.weight,
      ...(s.maxConnections !== undefined ? { maxConnections: s.maxConnections } : {}), ...(s.backup ? { backup: true } : {}) })),
    policy: l7Policy(policy),
    persistence: l7Persistence(c, pool),
    health: l7Health(pool),
    connectTimeoutMs: c.proxy.connectTimeout,
    responseTimeoutMs: c.proxy.responseTimeout,
    maxIdlePerServer: c.proxy.upstreamKeepAlive,
    slowStartMs: pool.slowStart,
    ...(pool.tls ? {
      tls: {
        rejectUnauthorized: pool.tls.verify,
        ...(pool.tls.servername ? { servername: pool.tls.servername } : {}),
        ...(pool.tls.ca ? { ca: fs.readFileSync(pool.tls.ca, 'utf8') } : {}),
      },
    } : {}),
  };
}

/** A route's CDN block as the proxy takes it (rules plus whether pages are cached). */
function l7Cdn(r: RouteConfig): RouteCdnOptions | undefined {
  const rules = cdnRules(r);
  return rules === undefined ? undefined : { ...rules, cache: { enabled: r.cdn!.cache.enabled } };
}

const samePolicy = (a: Policy, b: Policy) => JSON.stringify(a) === JSON.stringify(b);

// A route whose policy differs from its pool's gets a pool of its own (same servers, its policy),
// since the proxy keeps the policy with the pool.
function routePoolName(r: RouteConfig, i: number): string {
  return `${r.pool}@${r.name ?? `route${i + 1}`}`;
}

/**
 * The L7 options of `node`: one listener per service and VIP family (on the VIP, which the node
 * holds on its loopback), every pool, the routes in order. The route without conditions (the
 * last, if any) becomes the default pool; without one, the last route's pool is the default.
 */
export function l7Options(c: Config, node: NodeConfig): L7Options {
  const pools: PoolOptions[] = Object.entries(c.pools).map(([name, p]) => l7Pool(c, name, p, p.policy));
  const routes: RouteRule[] = [];
  let defaultPool: string | undefined;
  let defaultCdn: RouteCdnOptions | undefined;
  c.routes.forEach((r, i) => {
    let pool = r.pool;
    if (!samePolicy(r.policy, c.pools[r.pool].policy)) {
      pool = routePoolName(r, i);
      pools.push(l7Pool(c, pool, c.pools[r.pool], r.policy));
    }
    const { host, pathPrefix, pathRegex } = r.match;
    const cdn = l7Cdn(r);
    if (!host && !pathPrefix && !pathRegex) { defaultPool = pool; defaultCdn = cdn; return; }
    routes.push({ pool, ...(host ? { host } : {}), ...(pathPrefix ? { pathPrefix } : {}), ...(pathRegex ? { pathRegex } : {}), ...(cdn ? { cdn } : {}) });
  });
  defaultPool ??= routes[routes.length - 1]?.pool;

  const vips = [c.vip.ipv4, c.vip.ipv6].filter((v): v is string => v !== undefined);
  const services: ServiceOptions[] = c.services.flatMap((s) => vips.map((vip) => ({
    name: vips.length > 1 && vip.includes(':') ? `${s.name}-ipv6` : s.name,
    host: vip,
    port: s.port,
    routes,
    defaultPool: defaultPool as string,
    ...(defaultCdn ? { defaultCdn } : {}),
    ...(c.proxy.via ? { via: `lbarray-${node.id}` } : {}),
    ...(s.redirect ? { redirect: s.redirect } : {}),
    ...(s.headers ? { headers: s.headers } : {}),
    timeouts: { headersMs: c.proxy.headersTimeout, bodyMs: c.proxy.requestTimeout, keepAliveMs: c.proxy.keepAliveTimeout },
    limits: { maxHeaderBytes: c.proxy.maxHeaderBytes },
    ...(c.proxy.maxBodyBytes !== undefined ? { maxBodyBytes: c.proxy.maxBodyBytes } : {}),
    ...(s.tls ? {
      tls: {
        certificates: s.tls.certificates.map((k) => ({
          cert: fs.readFileSync(k.cert, 'utf8'), key: fs.readFileSync(k.key, 'utf8'), servernames: [...k.names],
        })),
        minVersion: s.tls.minVersion,
        sessionTickets: s.tls.sessionTickets,
        // The array's shared keys: a ticket resumes on any node.
        ...(s.tls.ticketKeyFile !== undefined ? { ticketKeys: fs.readFileSync(s.tls.ticketKeyFile) } : {}),
      },
    } : {}),
  })));
  // The page cache host hashes the same list (L7Part): pages stored under other rules are dropped.
  const cdn = c.routes.some((r) => r.cdn) ? { cdnRules: c.routes.map(cdnRules) } : {};
  return { ...(c.proxy.workers === 'auto' ? {} : { workers: c.proxy.workers }), services, pools, ...cdn,
    ...(c.logging.accessLog !== undefined ? { accessLog: c.logging.accessLog } : {}),
    ...(c.proxy.maxConnections !== undefined ? { maxConnections: c.proxy.maxConnections } : {}),
    ...(c.proxy.maxConnectionsPerClient !== undefined ? { clientLimit: { perClient: c.proxy.maxConnectionsPerClient } } : {}),
    ...(c.proxy.requestId !== undefined ? { requestId: c.proxy.requestId } : {}),
    ...(c.proxy.compression !== undefined ? { compression: c.proxy.compression } : {}),
    ...(c.proxy.allow.length + c.proxy.deny.length > 0 ? { access: { allow: c.proxy.allow, deny: c.proxy.deny } } : {}),
    ...(c.proxy.rateLimit !== undefined ? { rateLimit: { requests: c.proxy.rateLimit.requests, intervalMs: c.proxy.rateLimit.interval, groups: c.proxy.rateLimit.groups } } : {}) };
}
