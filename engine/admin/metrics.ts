// The node's Prometheus metrics (prom-client). One registry per node process; each part of the
// engine updates its own metrics here. Hot paths keep their own counters (addon stats, shared
// arrays) and copy them in from a `beforeScrape` hook, so a scrape costs nothing per packet.
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { LATENCY_BUCKETS } from '../l7/request-metrics.js';
import { MergedHistogram } from './merged-histogram.js';

export interface MetricsOptions {
  /** Also export process metrics (CPU, memory, event-loop lag), prefixed `lbarray_`. */
  processMetrics?: boolean;
  /** Labels on every metric, e.g. { node: 'lb1' }. */
  defaultLabels?: Record<string, string>;
}


export function createMetrics(opts: MetricsOptions = {}) {
  const registry = new Registry();
  if (opts.defaultLabels) registry.setDefaultLabels(opts.defaultLabels);
  if (opts.processMetrics) collectDefaultMetrics({ register: registry, prefix: 'lbarray_' });
  const registers = [registry];
  const hooks: Array<() => void | Promise<void>> = [];

  const metrics = {
    registry,
    // Scheduler (L4)
    packets: new Counter({
      name: 'lbarray_scheduler_packets_total', help: 'Packets the scheduler forwarded, by destination LB node.',
      labelNames: ['target'] as const, registers,
    }),
    drops: new Counter({
      name: 'lbarray_scheduler_drops_total', help: 'Packets the scheduler dropped, by reason (malformed, not_ip, not_vip_resolution, not_vip, not_service, icmp_not_steerable, no_node; truncated: longer than a slot of the frames-mode ring, scheduler.ring.frameSize; ring_full: the forwarding ring was full; tx_refused: decided for a node, refused by the kernel on sending; echo_rate: a ping of a VIP over the reply budget of 1000 a second per forwarding thread).',
      labelNames: ['reason'] as const, registers,
    }),
    flows: new Gauge({ name: 'lbarray_scheduler_flows', help: 'Flows tracked in the flow table.', registers }),
    flowEvictions: new Counter({ name: 'lbarray_scheduler_flow_evictions_total', help: 'Flows evicted from the full flow table (LRU).', registers }),
    maglevRebuilds: new Counter({ name: 'lbarray_scheduler_maglev_rebuilds_total', help: 'Maglev table rebuilds.', registers }),
    // Cluster
    role: new Gauge({ name: 'lbarray_scheduler_role', help: '1 while this node is the elected scheduler, else 0.', registers }),
    failovers: new Counter({ name: 'lbarray_failovers_total', help: 'Times this node took over the scheduler role.', registers }),
    // `peer`, not `node`: the `node` label every metric carries names the node reporting.
    nodeUp: new Gauge({ name: 'lbarray_node_up', help: 'LB node health as this node sees it, by peer (1 up, 0 down).', labelNames: ['peer'] as const, registers }),
    // L7 proxy
    connections: new Gauge({ name: 'lbarray_client_connections', help: 'Open client connections.', labelNames: ['service'] as const, registers }),
    connectionsDropped: new Counter({
      name: 'lbarray_client_connections_dropped_total', labelNames: ['reason'] as const, registers,
      help: 'Client connections closed as soon as accepted, by reason: limit (their listener was at proxy.maxConnections), denied (proxy.allow / proxy.deny).',
    }),
    requests: new Counter({
      name: 'lbarray_requests_total', help: 'HTTP requests answered, by pool and status code.',
      labelNames: ['pool', 'status'] as const, registers,
    }),
    // Fed with the workers' bucket counts on each scrape.
    requestDuration: new MergedHistogram('lbarray_request_duration_seconds', 'Time from request headers received to response completed, by pool.',
      LATENCY_BUCKETS, registers),
    compressedResponses: new Counter({
      name: 'lbarray_compressed_responses_total', help: 'Back-end responses the proxy compressed (proxy.compression), by coding.',
      labelNames: ['coding'] as const, registers,
    }),
    compressionBytes: new Counter({
      name: 'lbarray_compression_bytes_total', help: 'Body bytes into the response encoders (in) and out of them (out).',
      labelNames: ['direction'] as const, registers,
    }),
    tlsHandshakes: new Counter({
      name: 'lbarray_tls_handshakes_total', help: 'TLS handshakes, by result (ok, error) and whether the session was resumed.',
      labelNames: ['result', 'resumed'] as const, registers,
    }),
    backendUp: new Gauge({
      name: 'lbarray_backend_up', help: 'Back-end server health (1 up, 0 down).', labelNames: ['pool', 'server'] as const, registers,
    }),
    backendState: new Gauge({
      name: 'lbarray_backend_admin_state', help: "The operator's state of a back-end server: 1 for its state (ready, drain, maint), 0 for the others.",
      labelNames: ['pool', 'server', 'state'] as const, registers,
    }),
    // CDN
    cacheLookups: new Counter({
      name: 'lbarray_cdn_cache_lookups_total', help: 'Page cache lookups, by result (hit, miss, revalidated, uncacheable).',
      labelNames: ['result'] as const, registers,
    }),
    cacheBytes: new Gauge({ name: 'lbarray_cdn_cache_bytes', help: 'Bytes held in the page cache.', registers }),
    rewrites: new Counter({
      name: 'lbarray_cdn_rewrites_total', help: 'HTML pages seen by the CDN rewriter, by result (rewritten, or passthrough: passed on unmodified because the rewriter could not handle them).',
      labelNames: ['result'] as const, registers,
    }),

    /** Runs `fn` before every scrape (copy counters kept elsewhere into the metrics above). */
    beforeScrape(fn: () => void | Promise<void>): void {
      hooks.push(fn);
    },

    /** The Prometheus text exposition, after the beforeScrape hooks ran. */
    async scrape(): Promise<{ contentType: string; body: string }> {
      for (const h of hooks) await h();
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
  return metrics;
}

export type Metrics = ReturnType<typeof createMetrics>;

/** Metric names the engine defines (for docs and tests). */
export const METRIC_NAMES = [
  'lbarray_scheduler_packets_total', 'lbarray_scheduler_drops_total', 'lbarray_scheduler_flows',
  'lbarray_scheduler_flow_evictions_total', 'lbarray_scheduler_maglev_rebuilds_total', 'lbarray_scheduler_role',
  'lbarray_failovers_total', 'lbarray_node_up', 'lbarray_client_connections', 'lbarray_client_connections_dropped_total', 'lbarray_requests_total',
  'lbarray_request_duration_seconds', 'lbarray_compressed_responses_total', 'lbarray_compression_bytes_total', 'lbarray_tls_handshakes_total', 'lbarray_backend_up', 'lbarray_backend_admin_state',
  'lbarray_cdn_cache_lookups_total', 'lbarray_cdn_cache_bytes', 'lbarray_cdn_rewrites_total',
] as const;
