// The L7 proxy of one thread: listeners (plain or TLS) for every service, the pools, the clock.
// A worker runs one of these; tests run it in-process. Control-plane state (server up/down,
// weights) arrives through setServerState and is applied without touching open connections.
import net from 'node:net';
import tls from 'node:tls';
import { randomBytes } from 'node:crypto';
import { LbError } from '../errors.js';
import { RouteCdn, type PageCacheApi } from '../cdn/index.js';
import { AccessList } from './access-list.js';
import { ClientLimit, createClientLimitBuffer, DEFAULT_CLIENT_GROUPS } from './client-limit.js';
import { acceptInto, SERVER_OPTIONS } from './acceptors.js';
import { BackendPool } from './backend-pool.js';
import { CdnRoute, OriginAgents } from './cdn-route.js';
import { AccessLog } from './access-log.js';
import { RequestMetrics } from './request-metrics.js';
import { Clock } from './clock.js';
import { ClientConnection, type ServiceContext } from './connection.js';
import { defaultHeadLimits } from './http/limits.js';
import { headerRules } from './header-rules.js';
import { RequestIds } from './request-id.js';
import { Router } from './routing.js';
import type { ServerState } from './messages.js';
import { createRateLimitBuffer, RateLimiter } from './rate-limit.js';
import { ProxyStats } from './stats.js';
import { tlsServerSetup } from './tls.js';
import { defaultTimeouts, type L7Options, type RouteCdnOptions, type ServiceOptions } from './types.js';

/** State every worker must share: the cookie secret, hash-group tables, TLS ticket keys. */
export interface SharedL7State {
  secret: string;
  /** Hash-group table of each pool that persists by session ID or client address. */
  groups: Record<string, SharedArrayBuffer>;
  ticketKeys: Buffer;
  /** The per-client request counts (proxy.rateLimit). */
  rateLimit?: SharedArrayBuffer;
  /** The per-client open connection counts, a row per worker (proxy.maxConnectionsPerClient). */
  clientLimit?: SharedArrayBuffer;
}

/**
 * `previous`: the state of the proxy a reload replaces. What still fits is kept, so a reload
 * loses no session: a pool's persistence table when its servers are the same list (the table
 * holds indexes into it), the rate counts when sized alike, the secret and ticket keys. The open
 * connection counts start afresh (a row for each of `workers`): the old workers' connections are
 * not counted while they drain.
 */
export function createSharedState(options: L7Options, previous?: { options: L7Options; shared: SharedL7State }, workers = options.workers ?? 1): SharedL7State {
  const groups: Record<string, SharedArrayBuffer> = {};
  const serverList = (o: L7Options, pool: string) => o.pools.find((p) => p.name === pool)?.servers.map((s) => s.id).join('\0');
  for (const p of options.pools) {
    const per = p.persistence;
    if (per === undefined || per.kind === 'cookie') continue;
    const bytes = (per.groups ?? 4096) * 4;
    const old = previous?.shared.groups[p.name];
    const same = old !== undefined && old.byteLength === bytes && serverList(previous!.options, p.name) === serverList(options, p.name);
    groups[p.name] = same ? old : new SharedArrayBuffer(bytes);
  }
  const rate = options.rateLimit === undefined ? undefined : createRateLimitBuffer(options.rateLimit.groups);
  const oldRate = previous?.shared.rateLimit;
  const clients = options.clientLimit === undefined ? undefined : createClientLimitBuffer(options.clientLimit.groups ?? DEFAULT_CLIENT_GROUPS, workers);
  return { secret: previous?.shared.secret ?? randomBytes(32).toString('base64url'), groups, ticketKeys: previous?.shared.ticketKeys ?? randomBytes(48),
    ...(rate === undefined ? {} : { rateLimit: oldRate !== undefined && oldRate.byteLength === rate.byteLength ? oldRate : rate }),
    ...(clients === undefined ? {} : { clientLimit: clients }) };
}

export interface ProxyHooks {
  onPassive?(pool: string, server: string, kind: 'error' | '5xx'): void;
  /** The node's page cache (a PageCacheClient in a worker); without it CDN routes only rewrite. */
  pageCache?: PageCacheApi;
  /** Worker number in access log lines. Default 0. */
  workerIndex?: number;
}

/** The CDN rules of the node's routes, in order, as its page cache host must be configured. */
export function nodeCdnRules(options: L7Options): readonly (RouteCdnOptions | undefined)[] {
  if (options.cdnRules !== undefined) return options.cdnRules;
  return options.services.flatMap((s) => [...(s.routes ?? []).map((r) => r.cdn), s.defaultCdn]);
}

/** A 'close' listener that takes the socket out of `set`: one function for every socket, not a closure each. */
function deleteOnClose(set: Set<net.Socket>): (this: net.Socket) => void {
  return function forget(this: net.Socket) { set.delete(this); };
}

export class L7Proxy {
  readonly pools = new Map<string, BackendPool>();
  readonly stats = new ProxyStats();
  readonly clock: Clock;
  private readonly sockets = new Set<net.Socket>();
  /** Every accepted socket's 'close' listener. */
  private readonly forgetSocket = deleteOnClose(this.sockets);
  private readonly listeners: Array<{ service: ServiceOptions; server: net.Server; acceptors: net.Server[] }> = [];
  private readonly origins = new OriginAgents();
  private readonly contexts: ServiceContext[] = [];
  private readonly clients = new Set<ClientConnection>();
  private readonly accessLog: AccessLog | undefined;
  private readonly rateLimit: RateLimiter | undefined;
  private readonly access: AccessList | undefined;
  private readonly clientLimit: ClientLimit | undefined;
  /** Counts for the node's metrics; the control plane takes them on each scrape. */
  readonly requestMetrics = new RequestMetrics();

  constructor(readonly options: L7Options, readonly shared: SharedL7State = createSharedState(options), hooks: ProxyHooks = {}) {
    for (const p of options.pools) {
      if (this.pools.has(p.name)) throw new LbError('ERR_L7_DUPLICATE_POOL', `Pool ${p.name} is configured twice.`);
      this.pools.set(p.name, new BackendPool(p, { secret: shared.secret, groups: shared.groups[p.name] }));
    }
    const all = options.services.map((s) => ({ ...defaultTimeouts, ...s.timeouts }));
    const shortest = Math.min(1000, ...all.flatMap((t) => [t.headersMs, t.bodyMs, t.keepAliveMs]));
    this.clock = new Clock(Math.max(10, Math.floor(shortest / 4)));
    this.clock.every((now) => { for (const p of this.pools.values()) p.sweep(now); });
    const names = new Set(this.pools.keys());
    const onPassive = hooks.onPassive ?? (() => {});
    this.accessLog = options.accessLog === undefined ? undefined : new AccessLog(options.accessLog, hooks.workerIndex ?? 0);
    this.rateLimit = options.rateLimit === undefined ? undefined : new RateLimiter(options.rateLimit, shared.rateLimit);
    this.access = options.access === undefined ? undefined : new AccessList(options.access);
    const limit = options.clientLimit;
    if (limit !== undefined && shared.clientLimit === undefined) throw new LbError('ERR_L7_CLIENT_LIMIT', 'The shared state has no client-limit table for proxy.maxConnectionsPerClient.');
    this.clientLimit = limit === undefined ? undefined : new ClientLimit(limit.perClient, shared.clientLimit!, limit.groups ?? DEFAULT_CLIENT_GROUPS, hooks.workerIndex ?? 0);
    const rules = nodeCdnRules(options);
    const cdnOf = (o: RouteCdnOptions) => new CdnRoute(new RouteCdn(o, rules, hooks.pageCache, this.requestMetrics.cdnStats), this.origins);
    const requestIds = options.requestId === undefined ? undefined : new RequestIds(options.requestId);
    for (const service of options.services) {
      const ctx: ServiceContext = {
        router: new Router(service.routes ?? [], service.defaultPool, names, cdnOf, service.defaultCdn),
        pools: this.pools,
        limits: { ...defaultHeadLimits, ...service.limits },
        maxBodyBytes: service.maxBodyBytes ?? Infinity,
        // A request's ID replaces any field of its name, both ways.
        requestRules: headerRules(service.headers?.request, options.requestId?.header),
        responseRules: headerRules(service.headers?.response, options.requestId?.header),
        requestIds,
        compression: options.compression,
        timeouts: { ...defaultTimeouts, ...service.timeouts },
        via: service.via,
        clock: this.clock,
        stats: this.stats,
        onPassive,
        clients: this.clients,
        draining: false,
        accessLog: this.accessLog,
        metrics: this.requestMetrics,
        service: service.name,
        rateLimit: this.rateLimit,
        redirect: service.redirect,
      };
      this.contexts.push(ctx);
      const serve = service.tls === undefined ? (s: net.Socket) => new ClientConnection(s, ctx, 'http') : this.terminateTls(service.tls, ctx);
      // Every listener is a plain TCP server: the access list sees each connection before any TLS work.
      const access = this.access;
      const clientLimit = this.clientLimit;
      const server = net.createServer(SERVER_OPTIONS, (s) => {
        if (access !== undefined && !access.admits(s.remoteAddress)) {
          this.stats.denied++;
          this.requestMetrics.denied++;
          s.resetAndDestroy();
          return;
        }
        if (clientLimit !== undefined && s.remoteAddress !== undefined) {
          const group = clientLimit.admit(s.remoteAddress);
          if (group < 0) {
            this.stats.clientLimited++;
            this.requestMetrics.clientLimited++;
            s.resetAndDestroy();
            return;
          }
          s.once('close', () => clientLimit.release(group));
        }
        this.sockets.add(s);
        s.on('close', this.forgetSocket);
        serve(s);
      });
      server.on('error', () => {});
      if (options.maxConnections !== undefined) {
        server.maxConnections = options.maxConnections;
        server.on('drop', () => { this.stats.dropped++; this.requestMetrics.dropped++; });
      }
      this.listeners.push({ service, server, acceptors: [] });
    }
  }

  /** A TLS server that takes the service's accepted sockets and hands each handshaken one to a ClientConnection. */
  private terminateTls(options: NonNullable<ServiceOptions['tls']>, ctx: ServiceContext): (s: net.Socket) => void {
    const setup = tlsServerSetup({ ...options, ticketKeys: options.ticketKeys ?? this.shared.ticketKeys });
    const server = tls.createServer({ ...setup.options, allowHalfOpen: true } as tls.TlsOptions);
    server.on('secureConnection', (s: tls.TLSSocket) => {
      this.requestMetrics.handshake(s.isSessionReused());
      new ClientConnection(s, ctx, 'https');
    });
    server.on('tlsClientError', (_e, s) => {
      this.requestMetrics.handshakeFailed();
      s.destroy();
    });
    return (s) => server.emit('connection', s);
  }

  /**
   * Listens on every service: on inherited fds (SO_REUSEPORT sockets) when given, else host:port.
   * A service's further fds accept into its server (acceptors.ts: one socket is not enough).
   */
  async listen(fds: Record<string, readonly number[]> = {}): Promise<void> {
    await Promise.all(this.listeners.map(async (l) => {
      const { service, server } = l;
      const [first, ...more] = fds[service.name] ?? [];
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          const done = () => { server.removeListener('error', reject); resolve(); };
          if (first !== undefined) server.listen({ fd: first }, done);
          else server.listen({ host: service.host, port: service.port, backlog: 1024 }, done);
        });
        l.acceptors = await Promise.all(more.map((fd) => acceptInto(server, fd)));
      } catch (e) {
        const why = (e as Error & { code?: string }).code ?? (e as Error).message;
        throw new LbError('ERR_L7_LISTEN', `Service ${service.name} cannot listen on ${service.host}:${service.port}: ${why}.`, { cause: e });
      }
    }));
  }

  /** The bound port of a service (useful with port 0). */
  port(service: string): number {
    const l = this.listeners.find((x) => x.service.name === service);
    const a = l?.server.address();
    if (a === null || a === undefined || typeof a === 'string') throw new LbError('ERR_L7_NOT_LISTENING', `Service ${service} is not listening.`);
    return a.port;
  }

  setServerState(state: ServerState): void {
    this.pools.get(state.pool)?.setState(state.server, state);
  }

  /** Upstream connection counters per pool and server. */
  upstreamStats(): Record<string, Record<string, { open: number; idle: number; opened: number; reuses: number; inFlight: number }>> {
    const out: Record<string, Record<string, { open: number; idle: number; opened: number; reuses: number; inFlight: number }>> = {};
    for (const [name, pool] of this.pools) {
      out[name] = {};
      for (const s of pool.servers) {
        out[name][s.id] = { open: s.connections.size, idle: s.connections.idleCount, opened: s.connections.opened, reuses: s.connections.reuses, inFlight: pool.load[s.index] };
      }
    }
    return out;
  }

  /** closeAll: cut every connection now; else stop accepting and, with `drain`, end the kept-alive ones. */
  async close(closeAll = true, drain = true): Promise<void> {
    if (closeAll) for (const s of this.sockets) s.destroy();
    else if (drain) {
      for (const ctx of this.contexts) ctx.draining = true;
      for (const c of this.clients) c.closeIfIdle();
    }
    await Promise.all(this.listeners.flatMap(({ server, acceptors }) => [server, ...acceptors]).map((server) => new Promise<void>((resolve) => {
      server.close(() => resolve());
    })));
    this.clock.stop();
    for (const p of this.pools.values()) p.close();
    this.origins.close();
    await this.accessLog?.close();
  }
}
