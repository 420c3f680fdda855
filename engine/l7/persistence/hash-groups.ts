// Hash-group persistence table (claim 12): a fixed number of groups in a SharedArrayBuffer.
// A key (client address, session ID) hashes to a group; the group holds the server index + 1
// (0 = empty). Every worker maps the same buffer, so a session learnt by one worker is honoured
// by all; lookups are O(1) and memory never grows with the number of clients. Two keys in one
// group share a server: the price of the fixed size (with 4096 groups and K live sessions, about
// K/8192 of them collide). export() gives a plain copy to ship to another node.
import { LbError } from '../../errors.js';
import { fnv1a } from '../policies/policy.js';

export const DEFAULT_GROUPS = 4096;

export class HashGroupTable {
  readonly cells: Int32Array;
  constructor(readonly buffer: SharedArrayBuffer) {
    this.cells = new Int32Array(buffer);
  }

  static create(groups = DEFAULT_GROUPS): HashGroupTable {
    if (!Number.isInteger(groups) || groups < 1 || groups > 1 << 24) {
      throw new LbError('ERR_L7_HASH_GROUPS', `Expected a hash group count between 1 and 16777216, but received ${groups}.`);
    }
    return new HashGroupTable(new SharedArrayBuffer(groups * 4));
  }

  groupOf(key: string): number { return fnv1a(key) % this.cells.length; }

  /** The server index remembered for `key`, or -1. */
  lookup(key: string): number { return Atomics.load(this.cells, this.groupOf(key)) - 1; }

  assign(key: string, server: number): void { Atomics.store(this.cells, this.groupOf(key), server + 1); }

  /** Forget every group pointing at `server` (used when a pool shrinks). */
  clearServer(server: number): void {
    for (let g = 0; g < this.cells.length; g++) Atomics.compareExchange(this.cells, g, server + 1, 0);
  }

  export(): Int32Array { return Int32Array.from(this.cells); }

  import(groups: Int32Array): void {
    if (groups.length !== this.cells.length) throw new LbError('ERR_L7_HASH_GROUPS', `Expected ${this.cells.length} hash groups, but received ${groups.length}.`);
    for (let g = 0; g < groups.length; g++) Atomics.store(this.cells, g, groups[g]);
  }
}
