// Messages between the control plane (main thread) and the proxy workers.
import type { MessagePort } from 'node:worker_threads';
import type { ServerChange } from './backend-pool.js';
import type { SharedL7State } from './proxy.js';
import type { RequestMetricsDelta } from './request-metrics.js';
import type { L7Options } from './types.js';

export interface WorkerData {
  index: number;
  options: L7Options;
  shared: SharedL7State;
  /** Port of each service (0 for the first worker when the configured port is 0). */
  ports: Record<string, number>;
  /** Server states decided so far (a replacement worker starts with the current view). */
  states: ServerState[];
  /** Listen with SO_REUSEPORT sockets (several workers) or plainly (one). */
  reusePort: boolean;
  /** This worker's line to the node's page cache host (CdnNode), when the node has one. */
  pageCache?: MessagePort;
}

/** A change of one server: health (`up`), weight, or the operator's state. */
export interface ServerState extends ServerChange { pool: string; server: string }

export type ToWorker =
  | { type: 'server'; state: ServerState }
  /** metrics: also the request metrics counted since the last such message (then reset). */
  | { type: 'stats'; id: number; metrics?: boolean }
  /** graceful: stop accepting, let open connections finish (else close them now); drain: close
   *  idle keep-alive connections at once and the others after their exchange (a shutdown), rather
   *  than serving them on (a reload's old workers). */
  | { type: 'stop'; graceful?: boolean; drain?: boolean };

export type FromWorker =
  | { type: 'ready'; ports: Record<string, number> }
  | { type: 'failed'; code: string; message: string }
  | { type: 'passive'; pool: string; server: string; kind: 'error' | '5xx' }
  | { type: 'stats'; id: number; stats: WorkerStats }
  /** The request metrics counted since the last scrape, sent as a stopped worker exits. */
  | { type: 'final'; metrics: RequestMetricsDelta };

export interface WorkerStats {
  index: number;
  connections: number;
  accepted: number;
  dropped: number;
  requests: number;
  responses: number;
  errors: Record<number, number>;
  upstream: Record<string, Record<string, { open: number; idle: number; opened: number; reuses: number; inFlight: number }>>;
  /** When asked for: the request metrics since the previous ask. */
  metrics?: RequestMetricsDelta;
}
