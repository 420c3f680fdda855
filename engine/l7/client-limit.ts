// Per-client connection limit (what nginx's limit_conn and HAProxy's src_conn_cur give): a client
// address with `perClient` connections open on the node has its next one reset as soon as it is
// accepted, before any TLS work, so one client cannot hold the node's sockets (slowloris, a
// runaway pool). Counted in hash groups of a SharedArrayBuffer, one row per worker: a worker adds
// and removes its own connections in its own row and sums the rows to judge, so a worker that
// crashed leaves no stale count behind (its replacement clears the row it takes over). Addresses
// that share a group share a count (erring on the strict side). Two workers accepting the same
// client at once may both refuse the last free connection; neither admits one too many.
import { LbError } from '../errors.js';
import { fnv1a } from './policies/policy.js';

export const DEFAULT_CLIENT_GROUPS = 65536;

export interface ClientLimitOptions {
  /** Open connections a client address may have on the node. */
  perClient: number;
  /** Hash groups per worker row. Default 65536. */
  groups?: number;
}

/** The counts of `workers` rows of `groups` groups (4 bytes each). */
export function createClientLimitBuffer(groups: number, workers: number): SharedArrayBuffer {
  if (!Number.isInteger(groups) || groups < 1 || groups > 1 << 24) {
    throw new LbError('ERR_L7_CLIENT_GROUPS', `Expected a client-limit group count between 1 and 16777216, but received ${groups}.`);
  }
  return new SharedArrayBuffer(4 * groups * Math.max(1, workers));
}

export class ClientLimit {
  private readonly counts: Int32Array;
  private readonly groups: number;
  private readonly mine: number;

  /** `row`: this worker's row (its index); the buffer holds one for every worker of the node. */
  constructor(private readonly perClient: number, buffer: SharedArrayBuffer, groups: number, row: number) {
    this.counts = new Int32Array(buffer);
    this.groups = groups;
    const rows = this.counts.length / groups;
    if (!Number.isInteger(rows) || row < 0 || row >= rows) {
      throw new LbError('ERR_L7_CLIENT_ROW', `Expected a worker row below ${rows} in the client-limit table, but received ${row}.`);
    }
    this.mine = row * groups;
    // Whatever the row held was counted by a worker that is gone (a crash): its connections went with it.
    this.counts.fill(0, this.mine, this.mine + groups);
  }

  /** Counts a new connection of `client`: its group, to release when it closes, or -1 (nothing counted) when the client is at its limit. */
  admit(client: string): number {
    const g = fnv1a(client) % this.groups;
    Atomics.add(this.counts, this.mine + g, 1);
    if (this.openIn(g) <= this.perClient) return g;
    Atomics.sub(this.counts, this.mine + g, 1);
    return -1;
  }

  /** The connection counted in `group` closed. */
  release(group: number): void {
    Atomics.sub(this.counts, this.mine + group, 1);
  }

  /** Open connections of `client` on the node (every worker's). */
  openOf(client: string): number {
    return this.openIn(fnv1a(client) % this.groups);
  }

  /** The connections counted in group `g`, summed over the workers' rows. */
  private openIn(g: number): number {
    let open = 0;
    for (let at = g; at < this.counts.length; at += this.groups) open += Atomics.load(this.counts, at);
    return open;
  }
}
