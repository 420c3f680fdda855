// What a worker counts for the node's Prometheus metrics: answers by pool and status, their
// durations in histogram buckets, TLS handshakes, open connections by service. Counted on the
// request path as plain numbers; the control plane takes the deltas on each scrape (one message
// per worker), so a scrape costs the request path nothing and no count is taken twice.
import { CdnStats } from '../cdn/stats.js';

/** Seconds; from 100 µs to 10 s (proxy latency). The node's histogram has the same bounds. */
export const LATENCY_BUCKETS: readonly number[] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Counts per bucket (not cumulative): [i] is le LATENCY_BUCKETS[i], the last one above them all. */
export interface DurationDelta { pool: string; counts: number[]; sum: number }

/** What happened since the previous take(). */
export interface RequestMetricsDelta {
  requests: Array<{ pool: string; status: number; count: number }>;
  durations: DurationDelta[];
  tls: { full: number; resumed: number; failed: number };
  /** Open client connections now, by service (a level, not a delta). */
  connections: Record<string, number>;
  /** HTML pages through the CDN rewriter: rewritten, or passed through unmodified. */
  cdn: { rewritten: number; passedThrough: number };
  /** Client connections closed when accepted: the proxy's connection limit was reached. */
  dropped: number;
  /** Client connections reset when accepted: their address is not served (proxy.allow / proxy.deny). */
  denied: number;
  /** Client connections reset when accepted: the client had proxy.maxConnectionsPerClient open. */
  clientLimited: number;
  /** Responses compressed (proxy.compression), by coding, and the body bytes into and out of the encoders. */
  compressed: CompressionCounts;
}

export interface CompressionCounts { gzip: number; br: number; bytesIn: number; bytesOut: number }

const noCompression = (): CompressionCounts => ({ gzip: 0, br: 0, bytesIn: 0, bytesOut: 0 });

/** The bucket of `value` among ascending `bounds`: the first bound it does not exceed, else the overflow bucket (bounds.length). */
export function bucketOf(value: number, bounds: readonly number[] = LATENCY_BUCKETS): number {
  let i = 0;
  while (i < bounds.length && value > bounds[i]) i++;
  return i;
}

export class RequestMetrics {
  /** The CDN routes of this proxy count into this (read on take()). */
  readonly cdnStats = new CdnStats();
  private cdnTaken = { pages: 0, passedThrough: 0 };
  private requests = new Map<string, Map<number, number>>();
  private durations = new Map<string, { counts: Float64Array; sum: number }>();
  private tls = { full: 0, resumed: 0, failed: 0 };
  readonly connections: Record<string, number> = {};
  /** Connections over the limit, closed when accepted, and from addresses not served (since the last take()). */
  dropped = 0;
  denied = 0;
  clientLimited = 0;
  /** Counted by the connections' encoders (compression.ts). */
  compressed = noCompression();

  /** An answered request: its pool ("-" when none was chosen), status and duration. */
  record(pool: string, status: number, seconds: number): void {
    let byStatus = this.requests.get(pool);
    if (byStatus === undefined) this.requests.set(pool, (byStatus = new Map()));
    byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
    let d = this.durations.get(pool);
    if (d === undefined) this.durations.set(pool, (d = { counts: new Float64Array(LATENCY_BUCKETS.length + 1), sum: 0 }));
    d.counts[bucketOf(seconds)]++;
    d.sum += seconds;
  }

  handshake(resumed: boolean): void {
    if (resumed) this.tls.resumed++; else this.tls.full++;
  }

  handshakeFailed(): void { this.tls.failed++; }

  /** The counts since the last take, and a fresh start. */
  take(): RequestMetricsDelta {
    const requests = [...this.requests].flatMap(([pool, m]) => [...m].map(([status, count]) => ({ pool, status, count })));
    const durations = [...this.durations].map(([pool, d]) => ({ pool, counts: [...d.counts], sum: d.sum }));
    const c = this.cdnStats;
    const passedThrough = c.pagesPassedThrough - this.cdnTaken.passedThrough;
    const cdn = { rewritten: c.pages - this.cdnTaken.pages - passedThrough, passedThrough };
    this.cdnTaken = { pages: c.pages, passedThrough: c.pagesPassedThrough };
    const out = { requests, durations, tls: this.tls, connections: { ...this.connections }, cdn, dropped: this.dropped, denied: this.denied, clientLimited: this.clientLimited,
      compressed: this.compressed };
    this.dropped = 0;
    this.denied = 0;
    this.clientLimited = 0;
    this.compressed = noCompression();
    this.requests = new Map();
    this.durations = new Map();
    this.tls = { full: 0, resumed: 0, failed: 0 };
    return out;
  }
}
