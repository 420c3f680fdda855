// Back-end health (claim 13), run by the control plane (main thread). Active checks: an HTTP
// GET of `path` (or a TCP connect when no path is set) every `intervalMs`; `fall` consecutive
// failures take a server down, `rise` consecutive successes bring it back. Passive checks:
// workers report connection errors and 5xx responses; `passiveErrors` consecutive errors or a
// burst of `fiveXxBurst` 5xx within `fiveXxWindowMs` take the server down at once (the active
// check then decides when it returns). Transitions go to `onChange`, which pushes them to workers.
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { HealthCheckOptions, PoolOptions } from './types.js';

export const healthDefaults = { expectStatus: [200] as readonly number[], intervalMs: 2000, timeoutMs: 1000, rise: 2, fall: 3, passiveErrors: 3, fiveXxBurst: 20, fiveXxWindowMs: 10_000 };

interface ServerHealth {
  pool: string;
  id: string;
  host: string;
  port: number;
  tls: boolean;
  up: boolean;
  okRun: number;
  failRun: number;
  passiveErrors: number;
  fiveXx: number[];
  timer: NodeJS.Timeout | undefined;
  checking: boolean;
  options: Required<HealthCheckOptions>;
}

export type HealthChange = (pool: string, server: string, up: boolean, reason: string) => void;

export class HealthMonitor {
  private readonly servers = new Map<string, ServerHealth>();
  private stopped = false;

  constructor(pools: readonly PoolOptions[], private readonly onChange: HealthChange) {
    for (const p of pools) {
      if (p.health === undefined) continue;
      const options = { ...healthDefaults, path: '', ...p.health } as Required<HealthCheckOptions>;
      for (const s of p.servers) {
        this.servers.set(`${p.name}\0${s.id}`, {
          pool: p.name, id: s.id, host: s.host, port: s.port, tls: p.tls !== undefined, up: true, okRun: 0, failRun: 0,
          passiveErrors: 0, fiveXx: [], timer: undefined, checking: false, options,
        });
      }
    }
  }

  start(): void {
    for (const s of this.servers.values()) {
      s.timer = setInterval(() => this.check(s), s.options.intervalMs);
      s.timer.unref();
      this.check(s);
    }
  }

  stop(): void {
    this.stopped = true;
    for (const s of this.servers.values()) clearInterval(s.timer);
  }

  isUp(pool: string, server: string): boolean { return this.servers.get(`${pool}\0${server}`)?.up ?? true; }

  /** Current state of every checked server, for workers that start later. */
  snapshot(): Array<{ pool: string; server: string; up: boolean }> {
    return [...this.servers.values()].map((s) => ({ pool: s.pool, server: s.id, up: s.up }));
  }

  /** A worker saw a connection error or a 5xx response from this server. */
  passive(pool: string, server: string, kind: 'error' | '5xx', now = Date.now()): void {
    const s = this.servers.get(`${pool}\0${server}`);
    if (s === undefined || !s.up) return;
    if (kind === 'error') {
      if (++s.passiveErrors >= s.options.passiveErrors) this.transition(s, false, `${s.passiveErrors} connection errors seen by workers`);
      return;
    }
    const from = now - s.options.fiveXxWindowMs;
    s.fiveXx = s.fiveXx.filter((t) => t > from);
    s.fiveXx.push(now);
    if (s.fiveXx.length >= s.options.fiveXxBurst) this.transition(s, false, `${s.fiveXx.length} 5xx responses within ${s.options.fiveXxWindowMs} ms`);
  }

  private transition(s: ServerHealth, up: boolean, reason: string): void {
    if (s.up === up) return;
    s.up = up;
    s.okRun = 0;
    s.failRun = 0;
    s.passiveErrors = 0;
    s.fiveXx = [];
    this.onChange(s.pool, s.id, up, reason);
  }

  private check(s: ServerHealth): void {
    if (s.checking || this.stopped) return;
    s.checking = true;
    probe(s).then((failure) => {
      s.checking = false;
      if (this.stopped) return;
      if (failure === undefined) {
        s.failRun = 0;
        s.passiveErrors = 0;
        if (!s.up && ++s.okRun >= s.options.rise) this.transition(s, true, `${s.options.rise} checks passed`);
      } else {
        s.okRun = 0;
        if (s.up && ++s.failRun >= s.options.fall) this.transition(s, false, `${s.options.fall} checks failed: ${failure}`);
      }
    });
  }
}

/** Resolves undefined on success, else a short reason. */
function probe(s: ServerHealth): Promise<string | undefined> {
  const o = s.options;
  return new Promise((resolve) => {
    let done = false;
    const finish = (r: string | undefined) => { if (!done) { done = true; resolve(r); } };
    if (o.path === '') {
      const sock = net.connect({ host: s.host, port: s.port });
      sock.setTimeout(o.timeoutMs, () => { sock.destroy(); finish('timeout'); });
      sock.once('connect', () => { sock.destroy(); finish(undefined); });
      sock.once('error', (e: Error & { code?: string }) => finish(e.code ?? e.message));
      return;
    }
    const get = s.tls ? https.get : http.get;
    const req = get({ host: s.host, port: s.port, path: o.path, timeout: o.timeoutMs, agent: false, rejectUnauthorized: false,
      headers: { 'User-Agent': 'lbarray-health', Connection: 'close' } }, (res) => {
      res.resume();
      finish(o.expectStatus.includes(res.statusCode ?? 0) ? undefined : `status ${res.statusCode}`);
    });
    req.on('timeout', () => { req.destroy(); finish('timeout'); });
    req.on('error', (e: Error & { code?: string }) => finish(e.code ?? e.message));
  });
}
