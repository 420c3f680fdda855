// The queue between a forwarding thread and the control plane for flow sync: a single-producer,
// single-consumer ring of fixed records in a SharedArrayBuffer. The forwarding thread pushes each
// newly established flow (key, node) without blocking or allocating; the control plane drains
// the ring on a timer and sends the records to the other nodes. A full ring drops the record and
// counts it: sync is best effort (a flow not synced only matters if the scheduler changes and the
// Maglev table moved its slot meanwhile), the packet path never waits.
import { LbError } from '../errors.js';
import { FLOW_KEY_WORDS, type FlowExporter } from './flow-table.js';

/** Words of one record: the key, then the node index. */
export const EXPORT_RECORD_WORDS = FLOW_KEY_WORDS + 1;
const WRITE = 0; // records pushed so far (mod 2^32)
const READ = 1; // records drained so far
const DROPPED = 2; // records lost to a full ring
const HEADER = 4;

export class FlowExport implements FlowExporter {
  readonly buffer: SharedArrayBuffer;
  /** Records the ring holds (a power of two). */
  readonly capacity: number;
  private readonly words: Int32Array;
  private readonly mask: number;

  /** A new ring of `capacity` records (rounded up to a power of two), or a view of `buffer`. */
  constructor(capacity: number | SharedArrayBuffer) {
    if (typeof capacity === 'number') {
      if (!Number.isInteger(capacity) || capacity < 1 || capacity > 1 << 24) {
        throw new LbError('ERR_FLOW_EXPORT_CAPACITY', `Expected a flow export capacity of 1 to ${1 << 24} records, but received ${capacity}.`);
      }
      let n = 1;
      while (n < capacity) n *= 2;
      this.buffer = new SharedArrayBuffer(4 * (HEADER + n * EXPORT_RECORD_WORDS));
    } else {
      this.buffer = capacity;
    }
    this.words = new Int32Array(this.buffer);
    this.capacity = (this.words.length - HEADER) / EXPORT_RECORD_WORDS;
    this.mask = this.capacity - 1;
  }

  /** Records dropped because the ring was full. */
  get dropped(): number {
    return Atomics.load(this.words, DROPPED);
  }

  /** Producer: queue the flow whose entry starts at `entry[at]` (key words, then its node). */
  push(entry: Int32Array, at: number, _hash: number): void {
    const w = this.words;
    const write = Atomics.load(w, WRITE);
    if (((write - Atomics.load(w, READ)) | 0) >= this.capacity) {
      Atomics.add(w, DROPPED, 1);
      return;
    }
    const base = HEADER + (write & this.mask) * EXPORT_RECORD_WORDS;
    for (let k = 0; k <= FLOW_KEY_WORDS; k++) w[base + k] = entry[at + k];
    Atomics.store(w, WRITE, (write + 1) | 0); // publishes the record
  }

  /** Consumer: calls `fn` with each queued record (`words[base..]`: key, node), oldest first. */
  drain(fn: (words: Int32Array, base: number) => void): number {
    const w = this.words;
    const write = Atomics.load(w, WRITE);
    let read = Atomics.load(w, READ);
    let n = 0;
    for (; read !== write; read = (read + 1) | 0, n++) fn(w, HEADER + (read & this.mask) * EXPORT_RECORD_WORDS);
    Atomics.store(w, READ, read); // frees the slots
    return n;
  }
}
