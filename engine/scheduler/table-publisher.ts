// Publishes scheduling state to the forwarding workers by swapping, never by mutating what they
// read. One SharedArrayBuffer holds two halves (Maglev table + node state words); the control
// plane builds the next state off the packet path, writes it into the half no reader uses, and
// bumps a generation word (half = generation & 1). A worker calls `refresh()` between batches:
// one atomic load, and on a change it points at the other half (views made up front: no
// allocation) and acknowledges the generation. The publisher writes a half again only once
// every reader has acknowledged the latest generation, so no reader ever sees a torn table.
import { LbError } from '../errors.js';
import { buildMaglevTable, checkTableSize, MAGLEV_MIN_SIZE } from './maglev.js';
import type { TableView } from './flow-router.js';

export interface NodeHealth {
  id: string;
  /** 0 = draining (no new flows, tracked flows continue). */
  weight: number;
  /** False: the node failed its checks; its tracked flows are re-hashed. */
  up: boolean;
}

export interface TablePublisherOptions {
  /** Maglev table size (prime ≥ 65537). */
  size?: number;
  /** Largest node list this publisher takes. */
  maxNodes?: number;
  /** Largest number of readers (worker threads). */
  maxReaders?: number;
  /** How long publish() waits for a reader to leave the half it wants to write. */
  readerTimeoutMs?: number;
}

const GEN = 0;
const SIZE = 1;
const MAX_NODES = 2;
const MAX_READERS = 3;
const READERS = 4;
const HEADER = 8; // then one acknowledged generation per reader (-1 = slot free)

function layout(size: number, maxNodes: number, maxReaders: number) {
  const controlBytes = 4 * (HEADER + maxReaders);
  const tableBytes = 4 * size;
  const stateBytes = 4 * maxNodes;
  return {
    table: (half: number) => controlBytes + half * tableBytes,
    states: (half: number) => controlBytes + 2 * tableBytes + half * stateBytes,
    total: controlBytes + 2 * tableBytes + 2 * stateBytes,
  };
}

export class TablePublisher {
  /** Hand this to each worker with a reader id from `addReader()`. */
  readonly buffer: SharedArrayBuffer;
  readonly size: number;
  readonly maxNodes: number;
  private readonly control: Int32Array;
  private readonly readerTimeoutMs: number;
  private readonly generations = new Map<string, number>();
  private readonly wasUp = new Map<string, boolean>();
  private publishing: Promise<void> = Promise.resolve();
  private published: Int32Array = new Int32Array(0);

  constructor(options: TablePublisherOptions = {}) {
    this.size = options.size ?? MAGLEV_MIN_SIZE;
    checkTableSize(this.size);
    this.maxNodes = options.maxNodes ?? 256;
    const maxReaders = options.maxReaders ?? 64;
    this.readerTimeoutMs = options.readerTimeoutMs ?? 2000;
    const l = layout(this.size, this.maxNodes, maxReaders);
    this.buffer = new SharedArrayBuffer(l.total);
    this.control = new Int32Array(this.buffer, 0, HEADER + maxReaders);
    this.control[SIZE] = this.size;
    this.control[MAX_NODES] = this.maxNodes;
    this.control[MAX_READERS] = maxReaders;
    this.control.fill(-1, HEADER);
    // Generation 0: no node takes flows.
    new Int32Array(this.buffer, l.table(0), this.size).fill(-1);
  }

  get generation(): number {
    return Atomics.load(this.control, GEN);
  }

  /** The node state words of the latest published generation (what the readers compare against). */
  get nodeStates(): Int32Array {
    return this.published;
  }

  /** Reserves a reader slot; pass the id to `new TableReader(buffer, id)` in the worker. */
  addReader(): number {
    const max = this.control[MAX_READERS];
    for (let id = 0; id < max; id++) {
      if (Atomics.compareExchange(this.control, HEADER + id, -1, this.generation) === -1) {
        Atomics.add(this.control, READERS, 1);
        return id;
      }
    }
    throw new LbError('ERR_TABLE_READERS', `Every one of the ${max} table reader slots is taken.`);
  }

  /**
   * Builds the Maglev table of `nodes` (ordered; a down node counts as weight 0) and publishes it
   * with the node state words. Resolves once it is published. Calls are serialized.
   */
  publish(nodes: readonly NodeHealth[]): Promise<void> {
    if (nodes.length > this.maxNodes) {
      return Promise.reject(new LbError('ERR_TABLE_NODES',
        `This table publisher takes at most ${this.maxNodes} nodes, but received ${nodes.length}.`));
    }
    const table = buildMaglevTable(nodes.map((n) => ({ id: n.id, weight: n.up ? n.weight : 0 })), this.size);
    const states = new Int32Array(nodes.length);
    nodes.forEach((n, i) => { states[i] = this.stateWord(n); });
    const run = this.publishing.then(() => this.swapIn(table, states));
    this.publishing = run.catch(() => undefined);
    return run;
  }

  // generation << 1 | up, the generation bumped each time the node goes down.
  private stateWord(n: NodeHealth): number {
    let gen = this.generations.get(n.id) ?? 0;
    if (this.wasUp.get(n.id) === true && !n.up) gen = (gen + 1) & 0x3fffffff;
    this.generations.set(n.id, gen);
    this.wasUp.set(n.id, n.up);
    return (gen << 1) | (n.up ? 1 : 0);
  }

  private async swapIn(table: Int32Array, states: Int32Array): Promise<void> {
    const current = this.generation;
    await this.readersCaughtUp(current);
    const next = current + 1;
    const half = next & 1;
    const l = layout(this.size, this.maxNodes, this.control[MAX_READERS]);
    new Int32Array(this.buffer, l.table(half), this.size).set(table);
    const stateView = new Int32Array(this.buffer, l.states(half), this.maxNodes);
    stateView.fill(0);
    stateView.set(states);
    this.published = states;
    Atomics.store(this.control, GEN, next);
  }

  // Every registered reader acknowledged `generation`: none reads the other half.
  private async readersCaughtUp(generation: number): Promise<void> {
    const deadline = Date.now() + this.readerTimeoutMs;
    for (;;) {
      let behind = -1;
      for (let id = 0; id < this.control[MAX_READERS]; id++) {
        const ack = Atomics.load(this.control, HEADER + id);
        if (ack !== -1 && ack !== generation) { behind = id; break; }
      }
      if (behind < 0) return;
      if (Date.now() > deadline) {
        throw new LbError('ERR_TABLE_READER_STALLED',
          `Table reader ${behind} did not pick up generation ${generation} within ${this.readerTimeoutMs} ms.`);
      }
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }
}

/** A worker's view of the published state; call `refresh()` between batches. */
export class TableReader implements TableView {
  table: Int32Array;
  nodeStates: Int32Array;
  generation = -1;
  private readonly control: Int32Array;
  private readonly tables: Int32Array[];
  private readonly states: Int32Array[];

  constructor(buffer: SharedArrayBuffer, readonly id: number) {
    const header = new Int32Array(buffer, 0, HEADER);
    const size = header[SIZE];
    const maxNodes = header[MAX_NODES];
    const maxReaders = header[MAX_READERS];
    if (!Number.isInteger(id) || id < 0 || id >= maxReaders) {
      throw new LbError('ERR_TABLE_READERS', `Expected a reader id below ${maxReaders}, but received ${id}.`);
    }
    this.control = new Int32Array(buffer, 0, HEADER + maxReaders);
    const l = layout(size, maxNodes, maxReaders);
    this.tables = [0, 1].map((h) => new Int32Array(buffer, l.table(h), size));
    this.states = [0, 1].map((h) => new Int32Array(buffer, l.states(h), maxNodes));
    this.table = this.tables[0];
    this.nodeStates = this.states[0];
    this.refresh();
  }

  /** Picks up a newly published generation. True if it changed. */
  refresh(): boolean {
    const g = Atomics.load(this.control, GEN);
    if (g === this.generation) return false;
    this.table = this.tables[g & 1];
    this.nodeStates = this.states[g & 1];
    this.generation = g;
    Atomics.store(this.control, HEADER + this.id, g);
    return true;
  }

  /** Gives the slot back (the worker stops reading). */
  release(): void {
    Atomics.store(this.control, HEADER + this.id, -1);
    Atomics.sub(this.control, READERS, 1);
  }
}
