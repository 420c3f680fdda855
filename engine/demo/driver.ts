// The demo's client: runs inside the lab's client namespace, drives HTTP and HTTPS traffic at the
// VIP, holds long-lived streaming downloads, polls every node's admin /status, and prints one
// JSON sample per tick on stdout for the dashboard (engine/demo/demo.ts) to draw.
//   driver JSON   (DriverOptions)
import http from 'node:http';
import https from 'node:https';
import type { NodeStatus } from '../admin/status.js';
import { electedScheduler } from './dashboard.js';

export interface DriverOptions {
  vip: { v4: string; v6: string };
  httpPort: number;
  httpsPort: number;
  /** Host header and TLS server name. */
  host: string;
  admin: Array<{ id: string; url: string }>;
  token?: string;
  /** New requests per second over fresh connections (HTTP; HTTPS gets a fifth of it). */
  rate: number;
  /** Long-lived downloads held open, and how long each lasts. */
  streams: number;
  streamSeconds: number;
  seconds: number;
  tickMs: number;
}

/** Streams by the LB node that holds them (read from the response's Via header). */
export interface StreamCounts { open: number; done: number; reset: number }

export interface DriverSample {
  t: number;
  http: { ok: number; failed: number };
  https: { ok: number; failed: number };
  /** Requests answered, by LB node (Via header), since the start. */
  byNode: Record<string, number>;
  streams: Record<string, StreamCounts>;
  statuses: Array<{ id: string; status?: NodeStatus; error?: string }>;
  /** Failed requests by reason (an HTTP status, an error code, "timeout"). */
  errors: Record<string, number>;
  /** When each failed request was started (seconds, ms resolution: a benchmark tells one started just before a kill from one just after). */
  failedAt: number[];
  /** Each reset download: the node that held it, and when (seconds). */
  resets: Array<{ node: string; t: number }>;
  /** When the load started: once the array had agreed on a scheduler (null before). */
  loadStart: number | null;
  /** The wall clock (ms since the epoch) at t = 0. */
  epochMs: number;
}

const REQUEST_TIMEOUT_MS = 2000;
const ADMIN_TIMEOUT_MS = 1000;
const SETTLED_POLLS = 8;

/** "1.1 lbarray-lb2" → "lb2". */
export function nodeOfVia(via: string | string[] | undefined): string {
  const text = Array.isArray(via) ? via.join(',') : via ?? '';
  const m = /lbarray-([A-Za-z0-9_.-]+)/.exec(text);
  return m ? m[1]! : '?';
}

function tally(map: Record<string, number>, key: string): void {
  map[key] = (map[key] ?? 0) + 1;
}

export class Driver {
  readonly started = Date.now();
  readonly sample: DriverSample = {
    t: 0, http: { ok: 0, failed: 0 }, https: { ok: 0, failed: 0 }, byNode: {}, streams: {}, statuses: [], errors: {}, failedAt: [], resets: [], loadStart: null, epochMs: this.started,
  };
  private stopped = false;
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(private readonly o: DriverOptions) {}

  /** Seconds since the start, 0.1 s resolution. */
  private now(): number {
    return Math.round((Date.now() - this.started) / 100) / 10;
  }

  private request(secure: boolean, family: 4 | 6): void {
    const host = family === 4 ? this.o.vip.v4 : this.o.vip.v6;
    const counts = secure ? this.sample.https : this.sample.http;
    const lib = secure ? https : http;
    const req = lib.get({
      host, port: secure ? this.o.httpsPort : this.o.httpPort, path: '/', agent: false,
      headers: { Host: this.o.host }, servername: this.o.host, rejectUnauthorized: false, timeout: REQUEST_TIMEOUT_MS,
    }, (res) => {
      res.resume();
      res.on('end', () => {
        if (res.statusCode === 200) { counts.ok++; tally(this.sample.byNode, nodeOfVia(res.headers.via)); } else fail(`HTTP ${res.statusCode}`);
      });
      res.on('error', (e: NodeJS.ErrnoException) => fail(e.code ?? e.message));
    });
    const startedAt = (Date.now() - this.started) / 1000;
    const fail = (reason: string) => {
      counts.failed++;
      tally(this.sample.errors, `${secure ? 'https' : 'http'} ${reason}`);
      this.sample.failedAt.push(startedAt);
    };
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'timeout' })));
    req.on('error', (e: NodeJS.ErrnoException) => fail(e.code ?? e.message));
  }

  private openStream(n: number): void {
    if (this.stopped) return;
    const host = n % 2 === 0 ? this.o.vip.v4 : this.o.vip.v6;
    let node = '?';
    const counts = () => (this.sample.streams[node] ??= { open: 0, done: 0, reset: 0 });
    const req = http.get({
      host, port: this.o.httpPort, path: `/stream?seconds=${this.o.streamSeconds}`, agent: false, headers: { Host: this.o.host },
    }, (res) => {
      node = nodeOfVia(res.headers.via);
      counts().open++;
      res.resume();
      res.on('end', () => { counts().open--; counts().done++; setTimeout(() => this.openStream(n), 0); });
      res.on('error', () => {
        counts().open--;
        counts().reset++;
        this.sample.resets.push({ node, t: this.now() });
        setTimeout(() => this.openStream(n), 200);
      });
    });
    req.on('error', () => { if (node === '?') counts().reset++; setTimeout(() => this.openStream(n), 200); });
  }

  private async poll(): Promise<void> {
    this.sample.statuses = await Promise.all(this.o.admin.map(async ({ id, url }) => {
      try {
        const r = await fetch(`${url}/status`, { signal: AbortSignal.timeout(ADMIN_TIMEOUT_MS) });
        return { id, status: await r.json() as NodeStatus };
      } catch (e) {
        return { id, error: (e as Error).name === 'TimeoutError' ? 'no answer' : 'down' };
      }
    }));
  }

  private startLoad(): void {
    const every = Math.max(1, Math.round(1000 / this.o.rate));
    let n = 0;
    this.timers.push(setInterval(() => {
      n++;
      this.request(false, n % 2 === 0 ? 4 : 6);
      if (n % 5 === 0) this.request(true, n % 10 === 0 ? 4 : 6);
    }, every));
    // Streams open over the first seconds, not all at once.
    for (let i = 0; i < this.o.streams; i++) this.timers.push(setTimeout(() => this.openStream(i), i * 50));
  }

  /** Polls the nodes every tick; the load starts once they agree on a scheduler. Resolves after `seconds` of load. */
  start(onSample: (s: DriverSample) => void): Promise<void> {
    return new Promise((resolve) => {
      let polling = false;
      let settled = 0;
      let lastSched: string | null = null;
      this.timers.push(setInterval(() => {
        if (polling) return;
        polling = true;
        void this.poll().then(() => {
          polling = false;
          this.sample.t = (Date.now() - this.started) / 1000;
          const sched = electedScheduler(this.sample);
          // Load starts once every node answers and the same scheduler has held for a while
          // (nodes start one after another; the first to start may hold the role briefly).
          settled = sched !== null && sched === lastSched && this.sample.statuses.every((x) => x.status) ? settled + 1 : 0;
          lastSched = sched;
          if (this.sample.loadStart === null && settled >= SETTLED_POLLS) {
            this.sample.loadStart = this.sample.t;
            this.startLoad();
            this.timers.push(setTimeout(() => { this.stop(); resolve(); }, this.o.seconds * 1000));
          }
          onSample(this.sample);
        });
      }, this.o.tickMs));
    });
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) { clearInterval(t); clearTimeout(t); }
  }
}

// Run as a script: options as one JSON argument, samples as JSON lines.
if (process.argv[1] && /driver\.(ts|js)$/.test(process.argv[1])) {
  const o = JSON.parse(process.argv[2] ?? '{}') as DriverOptions;
  const d = new Driver(o);
  process.on('SIGTERM', () => { d.stop(); process.exit(0); });
  await d.start((s) => process.stdout.write(`${JSON.stringify(s)}\n`));
  process.exit(0);
}
