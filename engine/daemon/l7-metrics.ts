// The proxy workers' request metrics and the page cache's counters into the node's Prometheus
// registry, on each scrape: the workers hand over what they counted since the last scrape
// (deltas), so counters only grow, and the connections gauge is the sum of the workers' levels.
import type { Metrics } from '../admin/metrics.js';
import type { PageCache } from '../cdn/page-cache.js';
import type { RequestMetricsDelta } from '../l7/request-metrics.js';

export function applyRequestMetrics(metrics: Metrics, deltas: readonly RequestMetricsDelta[]): void {
  const connections: Record<string, number> = {};
  for (const m of deltas) {
    for (const r of m.requests) metrics.requests.inc({ pool: r.pool, status: String(r.status) }, r.count);
    for (const d of m.durations) metrics.requestDuration.add({ pool: d.pool }, d.counts, d.sum);
    if (m.tls.full > 0) metrics.tlsHandshakes.inc({ result: 'ok', resumed: 'false' }, m.tls.full);
    if (m.tls.resumed > 0) metrics.tlsHandshakes.inc({ result: 'ok', resumed: 'true' }, m.tls.resumed);
    if (m.tls.failed > 0) metrics.tlsHandshakes.inc({ result: 'error', resumed: 'false' }, m.tls.failed);
    for (const [service, n] of Object.entries(m.connections)) connections[service] = (connections[service] ?? 0) + n;
    if (m.cdn.rewritten > 0) metrics.rewrites.inc({ result: 'rewritten' }, m.cdn.rewritten);
    if (m.cdn.passedThrough > 0) metrics.rewrites.inc({ result: 'passthrough' }, m.cdn.passedThrough);
    if (m.dropped > 0) metrics.connectionsDropped.inc({ reason: 'limit' }, m.dropped);
    if (m.denied > 0) metrics.connectionsDropped.inc({ reason: 'denied' }, m.denied);
    if (m.clientLimited > 0) metrics.connectionsDropped.inc({ reason: 'client_limit' }, m.clientLimited);
    const z = m.compressed;
    if (z.gzip > 0) metrics.compressedResponses.inc({ coding: 'gzip' }, z.gzip);
    if (z.br > 0) metrics.compressedResponses.inc({ coding: 'br' }, z.br);
    if (z.bytesIn > 0) metrics.compressionBytes.inc({ direction: 'in' }, z.bytesIn);
    if (z.bytesOut > 0) metrics.compressionBytes.inc({ direction: 'out' }, z.bytesOut);
  }
  for (const [service, n] of Object.entries(connections)) metrics.connections.set({ service }, n);
}

/** The page cache's lookups (its counters only grow: the counter takes what was added since `last`) and size. */
export function applyCacheMetrics(metrics: Metrics, cache: PageCache, last: Record<string, number>): void {
  const now: Record<string, number> = { hit: cache.counters.hits, revalidated: cache.counters.stale, miss: cache.counters.misses, uncacheable: cache.counters.passes };
  for (const [result, n] of Object.entries(now)) {
    if (n > (last[result] ?? 0)) metrics.cacheLookups.inc({ result }, n - (last[result] ?? 0));
    last[result] = n;
  }
  metrics.cacheBytes.set(cache.store.bytes);
}
