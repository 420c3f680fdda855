// Persistence sync between the nodes (HAProxy's `peers` for stick tables): each node sends the
// hash-group cells its workers learnt (session IDs, client addresses) to the other nodes, so a
// client keeps its server whichever node the scheduler gives its next connection to (a Maglev
// pick, a failover, a node that left).
//
// - Every `intervalMs` the main thread diffs each pool's shared table against its shadow (what
//   the peers were last told or told us) and sends the changed cells to every peer.
// - A received cell is stored as it is (the last writer wins) and into the shadow: never echoed.
//   Two nodes that fill one group within the same interval (two new keys colliding) may each
//   keep the other's value until the group changes again: a collision misplaces a key anyway.
// - Each datagram names its pool by fingerprint (name, servers in order, size): a node whose pool
//   differs (a config rolled out to one node first) counts it as ignored, as cells are indexes.
// - A node with a table new to it (start, a reload that changed the pool) asks the peers for
//   every cell they hold.
// Its own UDP port (not flow sync's): flow sync belongs to the scheduler part and can be turned
// off alone; both use the same peer-filtered socket (peer-socket.ts). Settings are read at start. Best effort (UDP): a lost
// datagram loses those cells until they change again or a node restarts and asks for a dump.
import type { Logger } from '../log.js';
import { filledCells, TableShadow } from '../l7/persistence/table-shadow.js';
import { decodeTableSync, encodeCells, encodeDumpRequest, poolFingerprint, TableSyncType } from '../l7/persistence/table-sync-wire.js';
import { PeerSocket } from './peer-socket.js';

export interface PersistenceSyncOptions {
  /** Each configured node's address (index = node index); undefined for this node. */
  peers: ReadonlyArray<string | undefined>;
  address: string;
  port: number;
  v6: boolean;
  /** How often the tables are diffed and the changes sent. */
  intervalMs: number;
  log: Logger;
}

/** A pool's shared table, as the L7 node holds it. */
export interface PoolTable {
  pool: string;
  /** The pool's server ids in order: a cell holds an index into them, plus one. */
  serverIds: readonly string[];
  cells: Int32Array;
}

export class PersistenceSync {
  private readonly counts = { received: 0, cells: 0, ignored: 0, rejected: 0, dumpsServed: 0 };
  /** By pool fingerprint. */
  private shadows = new Map<number, TableShadow>();
  private readonly timer: NodeJS.Timeout;

  private constructor(private readonly socket: PeerSocket, private readonly o: PersistenceSyncOptions) {
    this.timer = setInterval(() => this.flush(), o.intervalMs).unref();
  }

  static async open(o: PersistenceSyncOptions): Promise<PersistenceSync> {
    let sync: PersistenceSync | undefined;
    const socket = await PeerSocket.open({ ...o, what: 'Persistence sync', setting: 'persistence.sync.port', bindError: 'ERR_PERSISTENCE_SYNC_BIND' },
      (msg, from) => sync?.receive(msg, from));
    sync = new PersistenceSync(socket, o);
    return sync;
  }

  /** Datagrams sent, received, ignored (another pool), rejected (malformed), foreign (not from a node); cells stored; dumps served. */
  get counters(): Record<'sent' | 'foreign' | keyof PersistenceSync['counts'], number> {
    return { ...this.counts, ...this.socket.counters };
  }

  /**
   * The tables to keep in sync (at start, and after each reload). A table this node did not have
   * (start, or a reload that changed its pool) asks the peers for theirs.
   */
  track(tables: readonly PoolTable[]): void {
    const next = new Map<number, TableShadow>();
    let fresh = false;
    for (const t of tables) {
      const fingerprint = poolFingerprint(t.pool, t.serverIds, t.cells.length);
      const known = this.shadows.get(fingerprint);
      if (known !== undefined && known.cells.buffer === t.cells.buffer) next.set(fingerprint, known);
      else {
        next.set(fingerprint, new TableShadow(t.cells, fingerprint, t.serverIds.length));
        fresh = true;
      }
    }
    this.shadows = next;
    if (fresh) this.socket.toPeers([encodeDumpRequest()]);
  }

  /** Sends what the workers learnt since the last flush. */
  flush(): void {
    for (const [fingerprint, shadow] of this.shadows) this.socket.toPeers(encodeCells(fingerprint, shadow.changes()));
  }

  close(): void {
    clearInterval(this.timer);
    this.socket.close();
  }

  private receive(msg: Buffer, from: string): void {
    const m = decodeTableSync(msg);
    if (typeof m === 'string') {
      this.counts.rejected++;
      return;
    }
    if (m.type === TableSyncType.DUMP_REQUEST) {
      this.counts.received++;
      void this.dumpTo(from);
      return;
    }
    const shadow = this.shadows.get(m.fingerprint);
    if (shadow === undefined) this.counts.ignored++;
    else if (!shadow.store(m.groups, m.values)) this.counts.rejected++;
    else {
      this.counts.received++;
      this.counts.cells += m.groups.length;
    }
  }

  private async dumpTo(address: string): Promise<void> {
    let cells = 0;
    for (const [fingerprint, shadow] of this.shadows) {
      const filled = filledCells(shadow.cells);
      cells += filled.length / 2;
      await this.socket.sendPaced(encodeCells(fingerprint, filled), address);
    }
    this.counts.dumpsServed++;
    this.o.log.info({ peer: address, cells }, 'sent our persistence tables to a starting node');
  }
}
