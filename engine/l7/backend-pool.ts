// One pool of back-end servers inside a worker: who is up, the scheduling policy, persistence,
// the keep-alive connections to each server and the in-flight counts. choose() is the whole
// scheduling decision for a request; state changes arrive from the control plane.
import { LbError } from '../errors.js';
import type { AdminState } from './admin-state.js';
import { fieldValue, type RequestHead } from './http/parser.js';
import { cookieValue } from './persistence/cookies.js';
import { ClientAddressPersistence } from './persistence/client-address.js';
import { CookieInjection } from './persistence/cookie-injection.js';
import { HashGroupTable } from './persistence/hash-groups.js';
import type { Persistence } from './persistence/persistence.js';
import { DEFAULT_SESSION_NAMES, SessionIdPersistence } from './persistence/session-id.js';
import { createPolicy } from './policies/index.js';
import type { PickContext, Policy } from './policies/policy.js';
import { routingPath } from './routing-path.js';
import { RAMP_STEPS, rampStep } from './slow-start.js';
import { UpstreamPool } from './upstream-pool.js';
import { poolDefaults, type HashOn, type PoolOptions } from './types.js';

export interface ServerChange { up?: boolean; weight?: number; admin?: AdminState }

export interface ServerRuntime {
  index: number;
  id: string;
  /** May take requests: healthy, and not in maintenance. */
  up: boolean;
  /** What the health checks say. */
  healthy: boolean;
  admin: AdminState;
  /** The configured weight (0: drained, like `drain`). */
  weight: number;
  /** Slow start: when the server came back up (-1: not ramping), and its ramp step. */
  upSince: number;
  step: number;
  connections: UpstreamPool;
}

export class BackendPool {
  readonly servers: ServerRuntime[];
  /** Requests in flight per server (this worker). */
  readonly load: Int32Array;
  readonly policy: Policy;
  readonly persistence: Persistence | undefined;
  readonly responseTimeoutMs: number;
  private readonly hashOn: HashOn | undefined;
  private readonly ctx: PickContext = { key: '' };
  /** 0 when this pool's policy does not ramp; the policy then sees the configured weights. */
  private readonly slowStartMs: number;

  constructor(readonly options: PoolOptions, shared: { secret: string; groups?: SharedArrayBuffer }) {
    if (options.servers.length === 0) throw new LbError('ERR_L7_EMPTY_POOL', `Pool ${options.name} has no servers.`);
    const o = { ...poolDefaults, ...options };
    this.responseTimeoutMs = o.responseTimeoutMs;
    this.servers = options.servers.map((s, index) => ({
      index, id: s.id, up: true, healthy: true, admin: 'ready', weight: s.weight ?? 1, upSince: -1, step: RAMP_STEPS,
      connections: new UpstreamPool({ host: s.host, port: s.port, max: s.maxConnections ?? o.maxConnectionsPerServer, maxIdle: o.maxIdlePerServer, idleTimeoutMs: o.idleTimeoutMs,
        connectTimeoutMs: o.connectTimeoutMs, tls: options.tls }),
    }));
    this.load = new Int32Array(this.servers.length);
    const ids = this.servers.map((s) => s.id);
    const policy = options.policy ?? { kind: 'round-robin' };
    this.hashOn = policy.kind === 'hash' ? policy.on : undefined;
    const ramps = policy.kind === 'weighted-round-robin' || policy.kind === 'least-connections';
    this.slowStartMs = ramps ? options.slowStartMs ?? 0 : 0;
    this.policy = createPolicy(policy, ids, this.servers.map((s) => this.policyWeight(s)), this.load, options.servers.map((s) => s.backup === true));
    this.persistence = makePersistence(options, ids, shared);
  }

  /** The server for this request, or undefined when none is up (503). Sets `*injected` lines. */
  choose(req: RequestHead, clientAddress: string): { server: ServerRuntime; addHeaders: string } | undefined {
    const p = this.persistence;
    if (p !== undefined) {
      const remembered = p.lookup(req, clientAddress);
      // A remembered server that is down (or in maintenance) is ignored: the client moves, and the
      // record is rewritten. A drained one (weight 0) keeps its persistent clients, as in HAProxy.
      if (remembered >= 0 && remembered < this.servers.length && this.servers[remembered].up) {
        const server = this.servers[remembered];
        return { server, addHeaders: p.chosen(req, clientAddress, remembered) };
      }
    }
    if (this.hashOn !== undefined) this.ctx.key = hashKey(this.hashOn, req, clientAddress);
    const i = this.policy.pick(this.ctx);
    if (i < 0) return undefined;
    return { server: this.servers[i], addHeaders: p === undefined ? '' : p.chosen(req, clientAddress, i) };
  }

  serverById(id: string): ServerRuntime | undefined { return this.servers.find((s) => s.id === id); }

  setState(id: string, change: ServerChange, now = Date.now()): void {
    const s = this.serverById(id);
    if (s === undefined) return;
    const weightBefore = this.policyWeight(s);
    if (change.up !== undefined) s.healthy = change.up;
    if (change.admin !== undefined) s.admin = change.admin;
    if (change.weight !== undefined) s.weight = change.weight;
    const up = s.healthy && s.admin !== 'maint';
    if (up !== s.up && this.slowStartMs > 0) {
      // Coming up: the ramp starts at its first step; going down: a later return ramps again.
      s.upSince = up ? now : -1;
      s.step = up ? 1 : RAMP_STEPS;
    }
    const weight = this.policyWeight(s);
    if (weight !== weightBefore) this.policy.onWeight(s.index, weight);
    if (up !== s.up) {
      s.up = up;
      if (up) this.policy.onUp(s.index); else this.policy.onDown(s.index);
      // Idle keep-alive connections to a server that went down are of no use.
      if (!up) s.connections.close();
    }
  }

  /** The weight the policy sees: 0 while drained; scaled by the ramp steps, so a ramp's first step is still an integer weight. */
  private policyWeight(s: ServerRuntime): number {
    if (s.admin === 'drain') return 0;
    return this.slowStartMs > 0 ? s.weight * s.step : s.weight;
  }

  /** Advances slow-start ramps (from the worker's clock). */
  private ramp(now: number): void {
    for (const s of this.servers) {
      if (s.upSince < 0) continue;
      const step = rampStep(now - s.upSince, this.slowStartMs);
      if (step === s.step) continue;
      s.step = step;
      if (step === RAMP_STEPS) s.upSince = -1;
      this.policy.onWeight(s.index, this.policyWeight(s));
    }
  }

  sweep(now: number): void {
    if (this.slowStartMs > 0) this.ramp(now);
    for (const s of this.servers) s.connections.sweep(now);
  }
  close(): void { for (const s of this.servers) s.connections.close(); }
}

/**
 * The key a hash pool picks a server by. A URL or path is taken as the routing rules read it
 * (routingPath: escaped unreserved chars decoded, dot segments removed, slashes merged), so
 * equivalent spellings of one resource (`/a/./b`, `/%61/b`, `//a/b`) go to the server that caches
 * it, as nginx's `$uri` (and not its raw `$request_uri`) would send them; the query stays as it came.
 */
export function hashKey(on: HashOn, req: RequestHead, clientAddress: string): string {
  if (on === 'url') return routingPath(req.target);
  if (on === 'path') {
    const url = routingPath(req.target);
    const q = url.indexOf('?');
    return q < 0 ? url : url.slice(0, q);
  }
  if (on === 'client-address') return clientAddress;
  if ('header' in on) return fieldValue(req, on.header.toLowerCase()) ?? clientAddress;
  return cookieValue(req.cookie, on.cookie) ?? clientAddress;
}

function makePersistence(options: PoolOptions, ids: string[], shared: { secret: string; groups?: SharedArrayBuffer }): Persistence | undefined {
  const p = options.persistence;
  if (p === undefined) return undefined;
  if (p.kind === 'cookie') {
    return new CookieInjection(p.name ?? 'LBSERVER', p.secret ?? shared.secret, options.name, ids, { maxAgeSeconds: p.maxAgeSeconds, secure: p.secure });
  }
  const table = shared.groups !== undefined ? new HashGroupTable(shared.groups) : HashGroupTable.create(p.groups);
  if (p.kind === 'session-id') return new SessionIdPersistence(p.names ?? DEFAULT_SESSION_NAMES, table, p.inUrl ?? true);
  return new ClientAddressPersistence(table);
}
