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
  // A metric of this registry: its name, help and label names.
  const counter = <L extends string = never>(name: string, help: string, ...labelNames: L[]) => new Counter<L>({ name, help, labelNames, registers });
  const gauge = <L extends string = never>(name: string, help: string, ...labelNames: L[]) => new Gauge<L>({ name, help, labelNames, registers });

  const metrics = {
    registry,
    // Scheduler (L4)
    packets: counter('lbarray_scheduler_packets_total', 'Packets the scheduler forwarded, by destination LB node.', 'target'),
    drops: counter('lbarray_scheduler_drops_total', 'Packets the scheduler dropped, by reason (malformed, not_ip, not_vip_resolution, not_vip, not_service, icmp_not_steerable, no_node; truncated: longer than a slot of the frames-mode ring, scheduler.ring.frameSize; ring_full: the forwarding ring was full; tx_refused: decided for a node, refused by the kernel on sending; echo_rate: a ping of a VIP over the reply budget of 1000 a second per forwarding thread).', 'reason'),
    flows: gauge('lbarray_scheduler_flows', 'Flows tracked in the flow table.'),
    flowEvictions: counter('lbarray_scheduler_flow_evictions_total', 'Flows evicted from the full flow table (LRU).'),
    maglevRebuilds: counter('lbarray_scheduler_maglev_rebuilds_total', 'Maglev table rebuilds.'),
    // Cluster
    role: gauge('lbarray_scheduler_role', '1 while this node is the elected scheduler, else 0.'),
    failovers: counter('lbarray_failovers_total', 'Times this node took over the scheduler role.'),
    // `peer`, not `node`: the `node` label every metric carries names the node reporting.
    nodeUp: gauge('lbarray_node_up', 'LB node health as this node sees it, by peer (1 up, 0 down).', 'peer'),
    // L7 proxy
    connections: gauge('lbarray_client_connections', 'Open client connections.', 'service'),
    connectionsDropped: counter('lbarray_client_connections_dropped_total',
      'Client connections closed as soon as accepted, by reason: limit (their listener was at proxy.maxConnections), denied (proxy.allow / proxy.deny), client_limit (the client had proxy.maxConnectionsPerClient open).', 'reason'),
    requests: counter('lbarray_requests_total', 'HTTP requests answered, by pool and status code.', 'pool', 'status'),
    // Fed with the workers' bucket counts on each scrape.
    requestDuration: new MergedHistogram('lbarray_request_duration_seconds', 'Time from request headers received to response completed, by pool.',
      LATENCY_BUCKETS, registers),
    compressedResponses: counter('lbarray_compressed_responses_total', 'Back-end responses the proxy compressed (proxy.compression), by coding.', 'coding'),
    compressionBytes: counter('lbarray_compression_bytes_total', 'Body bytes into the response encoders (in) and out of them (out).', 'direction'),
    tlsHandshakes: counter('lbarray_tls_handshakes_total', 'TLS handshakes, by result (ok, error) and whether the session was resumed.', 'result', 'resumed'),
    backendUp: gauge('lbarray_backend_up', 'Back-end server health (1 up, 0 down).', 'pool', 'server'),
    backendState: gauge('lbarray_backend_admin_state', "The operator's state of a back-end server: 1 for its state (ready, drain, maint), 0 for the others.",
      'pool', 'server', 'state'),
    // CDN
    cacheLookups: counter('lbarray_cdn_cache_lookups_total', 'Page cache lookups, by result (hit, miss, revalidated, uncacheable).', 'result'),
    cacheBytes: gauge('lbarray_cdn_cache_bytes', 'Bytes held in the page cache.'),
    rewrites: counter('lbarray_cdn_rewrites_total',
      'HTML pages seen by the CDN rewriter, by result (rewritten, or passthrough: passed on unmodified because the rewriter could not handle them).', 'result'),

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
