// Flow sync between the nodes (the idea of LVS's sync daemon): the scheduler tells every other
// node which node holds each established flow, so whichever node is the scheduler next starts
// with the same flow table. Without it, a flow keeps its node across a change of scheduler only
// if the Maglev table did not move its slot meanwhile, and it does move when a node returns:
// a node that comes back and preempts would send its slots' established flows to itself (resets).
//
// - Every node keeps a replica (a FlowTable: bounded, LRU-like) of the array's flows, fed by the
//   scheduler's ENTRIES datagrams; the scheduler feeds its own replica from its threads' exports.
// - Every flow received is also handed to `learned`: the daemon writes it into its (parked)
//   forwarding threads' tables, so a node that becomes the scheduler has nothing to load first.
// - A node that starts asks for a dump (DUMP_REQUEST); the scheduler answers with its replica and
//   DUMP_END. `synced` resolves then, or after `waitMs` if no scheduler answers: until then the
//   node does not preempt.
// Datagrams are accepted only from the configured node addresses; sync is best effort (UDP).
import type { Logger } from '../log.js';
import type { FlowExport } from '../scheduler/flow-export.js';
import { hashFlowKey } from '../scheduler/flow-hash.js';
import { FLOW_KEY_WORDS, FlowTable } from '../scheduler/flow-table.js';
import { decodeSync, encodeControl, SyncEncoder, SyncType } from '../scheduler/flow-sync-wire.js';
import { PeerSocket } from './peer-socket.js';

/** Table slots a dump reads before it yields: the event loop also sends this node's VRRP adverts. */
const DUMP_SLICE = 1 << 14;

export interface FlowSyncOptions {
  /** Each configured node's address (index = node index); undefined for this node and nodes without one. */
  peers: ReadonlyArray<string | undefined>;
  /** The address the sync socket binds (the daemon: the family's wildcard) and the sync port. */
  address: string;
  port: number;
  v6: boolean;
  /** Replica capacity (entries). */
  capacity: number;
  idleMs: number;
  /** How often the scheduler sends what its threads exported. */
  intervalMs: number;
  /** How long a starting node waits for a dump before it may preempt anyway. */
  waitMs: number;
  /** True while this node is the scheduler (only the scheduler answers dump requests). */
  active: () => boolean;
  /** A flow received from the scheduler (key words at `key`, its hash, its node). */
  learned?: (key: Int32Array, hash: number, node: number) => void;
  log: Logger;
}

export class FlowSync {
  readonly replica: FlowTable;
  private readonly counts = { received: 0, rejected: 0, dumpsServed: 0 };
  /** Resolves once this node has the scheduler's flows (or waited `waitMs` for them). */
  readonly synced: Promise<void>;
  private markSynced!: () => void;
  private timer: NodeJS.Timeout | null = null;
  private exports: readonly FlowExport[] = [];
  private socket!: PeerSocket;

  private constructor(private readonly o: FlowSyncOptions) {
    this.replica = new FlowTable({ capacity: o.capacity, idleMs: o.idleMs });
    this.synced = new Promise((resolve) => { this.markSynced = resolve; });
    const wait = setTimeout(() => this.markSynced(), o.waitMs);
    void this.synced.then(() => clearTimeout(wait));
  }

  /** Binds the sync socket and asks the peers for a dump. */
  static async open(o: FlowSyncOptions): Promise<FlowSync> {
    const sync = new FlowSync(o);
    try {
      sync.socket = await PeerSocket.open({ ...o, what: 'Flow sync', setting: 'scheduler.flowSync.port', bindError: 'ERR_FLOW_SYNC_BIND' },
        (msg, from) => sync.receive(msg, from));
    } catch (e) {
      sync.markSynced();
      throw e;
    }
    sync.socket.toPeers([encodeControl(SyncType.DUMP_REQUEST)]);
    return sync;
  }

  /** Datagrams sent, received, rejected (malformed), foreign (not from a node), dumps served. */
  get counters(): { sent: number; received: number; rejected: number; foreign: number; dumpsServed: number } {
    return { ...this.counts, ...this.socket.counters };
  }

  /** The scheduler: every `intervalMs`, send what the threads exported (and keep it in the replica). */
  startSending(exports: readonly FlowExport[]): void {
    this.exports = exports;
    this.timer ??= setInterval(() => this.flush(), this.o.intervalMs);
  }

  /** No longer the scheduler: one last flush, then stop. */
  stopSending(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.flush();
    this.exports = [];
  }

  close(): void {
    this.stopSending();
    this.markSynced();
    this.socket.close();
  }

  private flush(): void {
    const enc = new SyncEncoder();
    const now = Date.now() | 0;
    for (const x of this.exports) {
      x.drain((w, base) => {
        const node = w[base + FLOW_KEY_WORDS];
        const key = w.subarray(base, base + FLOW_KEY_WORDS);
        this.replica.upsert(key, hashFlowKey(key), node, 0, now);
        enc.add(w, base, node);
      });
    }
    this.socket.toPeers(enc.take());
  }

  private receive(msg: Buffer, from: string): void {
    const m = decodeSync(msg, this.o.peers.length);
    if (typeof m === 'string') {
      this.counts.rejected++;
      return;
    }
    this.counts.received++;
    if (m.type === SyncType.DUMP_END) this.markSynced();
    else if (m.type === SyncType.DUMP_REQUEST) void this.dumpTo(from);
    else {
      const now = Date.now() | 0;
      for (let i = 0; i < m.nodes.length; i++) {
        const key = m.keys.subarray(i * FLOW_KEY_WORDS, (i + 1) * FLOW_KEY_WORDS);
        const hash = hashFlowKey(key);
        this.replica.upsert(key, hash, m.nodes[i], 0, now);
        this.o.learned?.(key, hash, m.nodes[i]);
      }
    }
  }

  // Only the scheduler answers: its replica is the array's flow state. In slices, so a table of
  // a million flows never holds up the event loop (and the adverts) for long.
  private async dumpTo(address: string): Promise<void> {
    if (!this.o.active()) return;
    let flows = 0;
    for (let from = 0; from < this.replica.capacity; from += DUMP_SLICE) {
      const enc = new SyncEncoder();
      this.replica.forEachEstablished((e, at) => { flows++; enc.add(e, at, e[at + FLOW_KEY_WORDS]); }, from, from + DUMP_SLICE);
      await this.socket.sendPaced(enc.take(), address);
      await new Promise((resolve) => setImmediate(resolve));
    }
    this.socket.send(encodeControl(SyncType.DUMP_END), address);
    this.counts.dumpsServed++;
    this.o.log.info({ peer: address, flows }, 'sent our flow table to a starting node');
  }
}
