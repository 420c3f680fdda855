// What the admin endpoint asks of the running node. The daemon implements StatusSource; the
// admin server only translates HTTP to these calls.
import type { ConfigIssue } from '../config/errors.js';
import type { AdminState } from '../l7/admin-state.js';

/** What `GET /status` says a node is: an LB node, or the elected scheduler too. (The endpoint listens only
 *  once every part has started and closes first on a stop, so it never shows a node starting or stopping.) */
export type NodeRole = 'node' | 'scheduler';

export interface NodeHealth {
  id: string;
  up: boolean;
  weight: number;
  draining: boolean;
}

export interface BackendHealth {
  pool: string;
  address: string;
  port: number;
  /** What the health checks say. */
  up: boolean;
  /** What the operator says (`lbarray server`): ready, drain or maint. */
  state: AdminState;
}

export interface NodeStatus {
  /** This node's id. */
  node: string;
  role: NodeRole;
  /** Id of the node that is the scheduler now, as this node knows it (null: none elected). */
  scheduler: string | null;
  draining: boolean;
  uptimeSeconds: number;
  /** Health of every LB node, as this node sees it. */
  nodes: NodeHealth[];
  /** Health of every back-end server. */
  backends: BackendHealth[];
  /** Counters worth a glance (packets, requests, drops...), by name. */
  counters: Record<string, number>;
}

export type PurgeRequest = { url: string } | { prefix: string };

export type ReloadResult = { ok: true } | { ok: false; issues: readonly ConfigIssue[] };

export interface StatusSource {
  status(): NodeStatus | Promise<NodeStatus>;
  /** For GET /healthz: is this node fit to take traffic? */
  health(): { ok: boolean; reason?: string };
  /** Drops cached pages: one URL, or every URL under a prefix. Returns how many were dropped. */
  purge(req: PurgeRequest): number | Promise<number>;
  /**
   * Drains this node (no new flows, existing flows finish) or, with false, puts it back; with
   * `node`, records that another node drains itself (its peers keep it out of their Maglev tables).
   * False: no such node.
   */
  drain(on: boolean, node?: string): boolean | void | Promise<boolean | void>;
  /**
   * Sets the operator's state of one back-end server of this node (`server`: address:port, as
   * in the status): kept across reloads while the config has the server. False: no such server.
   */
  server(pool: string, server: string, state: AdminState): boolean | Promise<boolean>;
  /** Re-reads the config; a bad one is refused and the running one stays. */
  reload(): Promise<ReloadResult>;
}
