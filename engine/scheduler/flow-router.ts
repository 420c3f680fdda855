// Flow table + Maglev: the node of a flow. A tracked flow keeps its node while that node stays
// up (even if the Maglev table moved its slot, even if the node is draining); an untracked flow,
// or one whose node went down, takes the Maglev pick of the current table and is tracked.
import { FlowClass, FlowTable } from './flow-table.js';
import { maglevSlot } from './flow-hash.js';

/** What the packet path reads of the published scheduling state (see table-publisher.ts). */
export interface TableView {
  /** Maglev table: node index per slot, -1 if no node takes new flows. */
  table: Int32Array;
  /** Per node: generation << 1 | up. Tracked flows of a node whose word changed are re-hashed. */
  nodeStates: Int32Array;
}

export class FlowRouter {
  /** Tracked flows whose node went down and were moved to the current Maglev pick. */
  rehashed = 0;
  private table: Int32Array;
  private nodeStates: Int32Array;

  constructor(readonly flows: FlowTable, view: TableView) {
    this.table = view.table;
    this.nodeStates = view.nodeStates;
  }

  /** Switches to a newly published view (between batches). */
  use(view: TableView): void {
    this.table = view.table;
    this.nodeStates = view.nodeStates;
  }

  /** The node for a packet of the flow key[keyAt, +FLOW_KEY_WORDS) (hash `hash`) whose class is `cls` (FlowClass), or -1. */
  route(key: Int32Array, hash: number, cls: number, now: number, keyAt = 0): number {
    const held = this.flows.lookup(key, hash, now, cls, this.nodeStates, keyAt);
    return held >= 0 ? held : this.place(key, hash, cls, now, keyAt);
  }

  // A flow the table does not hold on a live node (most packets are hits: this stays out of
  // route, so route stays small enough for the packet path to inline).
  private place(key: Int32Array, hash: number, cls: number, now: number, keyAt: number): number {
    const flows = this.flows;
    const slot = flows.slot;
    const node = this.table[maglevSlot(hash, this.table.length)];
    if (slot >= 0) { // tracked, but its node went down: re-hash
      if (node < 0) {
        flows.remove(slot);
        return -1;
      }
      this.rehashed++;
      flows.reassign(slot, node, this.nodeStates[node], now, cls);
      return node;
    }
    if (node >= 0) flows.insert(key, hash, node, this.nodeStates[node], now, cls, keyAt);
    return node;
  }

  /** The node of the flow without tracking or touching it (ICMP errors about the flow). */
  peek(key: Int32Array, hash: number): number {
    const slot = this.flows.find(key, hash);
    if (slot >= 0) {
      const held = this.flows.nodeAt(slot);
      if (this.nodeStates[held] === this.flows.stateAt(slot)) return held;
    }
    return this.table[maglevSlot(hash, this.table.length)];
  }
}

export { FlowClass };
