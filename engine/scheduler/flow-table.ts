// The flow table: which node holds each flow, so an established flow keeps its node when the
// Maglev table changes. Bounded and allocation-free: an 8-way set-associative hash table over
// typed arrays (bucket = hash & mask, 8 slots side by side), eviction of the least recently seen
// entry of the bucket. Every operation touches one bucket: O(1), no chains for a flood to grow.
// Layout for the cache and the TLB: a bucket is one 576-byte block, a 64-byte line with its 8
// hashes, then 8 entries of one 64-byte line each (key, node, state, last seen, class). A hit
// reads two adjacent lines of one page.
//
// SYN-flood resistance: an entry made by a bare SYN is EMBRYONIC; the client's next packet (its
// ACK) makes it ESTABLISHED. New entries evict, in order: a free slot, the oldest embryonic (or
// closing) entry, an established entry idle longer than `idleMs`, and, only for a new established
// flow, the oldest established entry. A flood of spoofed SYNs therefore recycles embryonic
// slots and never pushes out a live connection; a SYN that finds no room is simply not
// tracked (Maglev still places it; the entry is only needed if the table changes meanwhile).
//
// Dead nodes: each entry keeps the node's state word (generation << 1 | up) from when it was
// placed. The caller compares it with the published state of that node; a mismatch (the node
// went down, perhaps came back) means the connection is gone there and the flow is re-hashed.
//
// Flow sync: the first time an entry is ESTABLISHED (or re-homed as such), it is handed to the
// optional `exporter` once, so the other nodes learn which node holds the flow (flow-sync.ts).
// A bare SYN is never exported: a flood stays local. The memory may be a SharedArrayBuffer, so
// the control plane can write flows into a parked forwarding thread's table.
import { LbError } from '../errors.js';

// The layout and the entry classes as a const enum: tsc and esbuild write a member's value into
// the code, where a module const is loaded from the module's context, with a small-integer check,
// at every use (V8 does not fold it), and the packet path reads these per frame.
const enum Layout {
  KEY_WORDS = 10,
  WAYS = 8,
  ENTRY_WORDS = 16, // one 64-byte record per entry: the key words, then the E_ words
  BUCKET_WORDS = 16 + 8 * 16, // a line of the 8 hashes, then the entries
  E_NODE = 10,
  E_STATE = 11,
  E_SEEN = 12,
  E_CLASS = 13,
  E_EXPORTED = 14, // 1 once the entry was handed to the exporter as established
  EMPTY = 0,
  EMBRYONIC = 1,
  ESTABLISHED = 2,
  KIND_IPV6 = 1 << 8, // flow-key.ts's KIND_IPV6
}

/** Int32 words of a flow key: src address (4), dst address (4), sport << 16 | dport, kind. */
export const FLOW_KEY_WORDS = 10;
export const KEY_SRC = 0;
export const KEY_DST = 4;
export const KEY_PORTS = 8;
/** proto | IPv6 << 8 | fragment (3-tuple key) << 9. */
export const KEY_KIND = 9;

/** Slots per bucket. */
export const FLOW_WAYS: number = Layout.WAYS;
export const DEFAULT_FLOW_CAPACITY = 1 << 20;

/** Entry classes, in eviction order. */
export const FlowClass = { EMPTY: 0, EMBRYONIC: 1, ESTABLISHED: 2 } as const;

/**
 * The packet path's modules keep their own const enum copy of the constants above that they read
 * per frame (tsc and esbuild write a member's value into the code; an imported or module const is
 * a load at every use). `Same<typeof KEY_DST, Key.DST>` does not compile if a copy differs.
 */
export type Same<Exported, Copy extends Exported> = Copy;
type LayoutChecked = [Same<typeof FLOW_KEY_WORDS, Layout.KEY_WORDS>, Same<typeof FlowClass.EMPTY, Layout.EMPTY>,
  Same<typeof FlowClass.EMBRYONIC, Layout.EMBRYONIC>, Same<typeof FlowClass.ESTABLISHED, Layout.ESTABLISHED>];

// Where slot s (= bucket * FLOW_WAYS + way) keeps its hash and its entry.
const hashIndex = (s: number): number => (s >> 3) * Layout.BUCKET_WORDS + (s & 7);
const entryIndex = (s: number): number => (s >> 3) * Layout.BUCKET_WORDS + 16 + (s & 7) * Layout.ENTRY_WORDS;

/** Receives each flow once, when it is first established (or re-homed): its entry's words at `at`. */
export interface FlowExporter {
  /** `entry[at + 0..FLOW_KEY_WORDS)` is the key, `entry[at + FLOW_KEY_WORDS]` the node. */
  push(entry: Int32Array, at: number, hash: number): void;
}

export interface FlowTableOptions {
  /** Entries (rounded up to a power of two, at least FLOW_WAYS). Default 1 Mi. */
  capacity?: number;
  /** An established entry idle this long (ms of `now`) may make room for a new SYN. Default 120 s. */
  idleMs?: number;
  /** Memory of the table (FlowTable.bytesFor(capacity) bytes, zeroed or a table's): shared with another thread. */
  buffer?: SharedArrayBuffer;
}

export class FlowTable {
  readonly capacity: number;
  readonly idleMs: number;
  /** Entries in use. */
  size = 0;
  /** Counters: entries evicted by class, new flows left untracked for lack of room. */
  evictedEmbryonic = 0;
  evictedEstablished = 0;
  refused = 0;
  /** Told of each flow once it is established (flow sync); null: nobody is. */
  exporter: FlowExporter | null = null;
  /** The table's memory (a SharedArrayBuffer when one was given). */
  readonly buffer: ArrayBufferLike;
  private readonly bucketMask: number;
  private readonly entries: Int32Array;

  /** Bytes of a table of `capacity` entries (rounded as the constructor does). */
  static bytesFor(capacity: number): number {
    return 4 * (roundCapacity(capacity) / Layout.WAYS) * Layout.BUCKET_WORDS;
  }

  constructor(options: FlowTableOptions = {}) {
    const capacity = roundCapacity(options.capacity ?? DEFAULT_FLOW_CAPACITY);
    this.capacity = capacity;
    this.idleMs = options.idleMs ?? 120_000;
    this.bucketMask = capacity / Layout.WAYS - 1;
    const words = (capacity / Layout.WAYS) * Layout.BUCKET_WORDS;
    if (options.buffer !== undefined && options.buffer.byteLength !== 4 * words) {
      throw new LbError('ERR_FLOW_TABLE_BUFFER',
        `Expected a flow table buffer of ${4 * words} bytes for ${capacity} entries, but received ${options.buffer.byteLength}.`);
    }
    this.entries = options.buffer ? new Int32Array(options.buffer) : new Int32Array(words);
    this.buffer = this.entries.buffer;
    if (options.buffer) this.recount();
  }

  /** The slot holding the key in key[keyAt, +FLOW_KEY_WORDS) (whose hash is `hash`), or -1. */
  find(key: Int32Array, hash: number, keyAt = 0): number {
    const bucket = (hash & this.bucketMask) * Layout.BUCKET_WORDS;
    const e = this.entries;
    for (let w = 0; w < Layout.WAYS; w++) {
      if (e[bucket + w] === hash && holds(e, bucket + 16 + w * Layout.ENTRY_WORDS, key, keyAt)) return (hash & this.bucketMask) * Layout.WAYS + w;
    }
    return -1;
  }

  /** The slot `lookup` found (valid or stale), or -1 if the flow is not tracked. */
  slot = -1;

  /**
   * The hot-path lookup: the node holding `key` if it is tracked and that node's state word in
   * `nodeStates` still equals the entry's (then the entry is touched with `now` and `cls`); -1
   * otherwise. Either way `slot` tells where the entry is (-1: not tracked). The key: key[keyAt, +FLOW_KEY_WORDS).
   */
  lookup(key: Int32Array, hash: number, now: number, cls: number, nodeStates: Int32Array, keyAt = 0): number {
    const slot = this.find(key, hash, keyAt);
    this.slot = slot;
    if (slot < 0) return -1;
    const e = this.entries;
    const at = entryIndex(slot);
    const node = e[at + Layout.E_NODE];
    if (nodeStates[node] !== e[at + Layout.E_STATE]) return -1;
    e[at + Layout.E_SEEN] = now;
    e[at + Layout.E_CLASS] = cls;
    if (cls === Layout.ESTABLISHED && e[at + Layout.E_EXPORTED] === 0) this.established(at, hash);
    return node;
  }

  nodeAt(slot: number): number { return this.entries[entryIndex(slot) + Layout.E_NODE]; }
  stateAt(slot: number): number { return this.entries[entryIndex(slot) + Layout.E_STATE]; }
  classAt(slot: number): number { return this.entries[entryIndex(slot) + Layout.E_CLASS]; }

  /** Re-homes the flow in `slot` (its node died): node, that node's state word, now. */
  reassign(slot: number, node: number, state: number, now: number, cls: number): void {
    const e = this.entries;
    const at = entryIndex(slot);
    e[at + Layout.E_NODE] = node;
    e[at + Layout.E_STATE] = state;
    e[at + Layout.E_SEEN] = now;
    e[at + Layout.E_CLASS] = cls;
    e[at + Layout.E_EXPORTED] = 0;
    if (cls === Layout.ESTABLISHED) this.established(at, e[hashIndex(slot)]);
  }

  /** Tracks a new flow, key[keyAt, +FLOW_KEY_WORDS) (not present: call find first). Returns its slot, or -1 if there was no room. */
  insert(key: Int32Array, hash: number, node: number, state: number, now: number, cls: number, keyAt = 0): number {
    const slot = this.victim((hash & this.bucketMask) * Layout.WAYS, now, cls);
    if (slot < 0) {
      this.refused++;
      return -1;
    }
    const e = this.entries;
    const at = entryIndex(slot);
    const old = e[at + Layout.E_CLASS];
    if (old === Layout.EMPTY) this.size++;
    else if (old === Layout.EMBRYONIC) this.evictedEmbryonic++;
    else this.evictedEstablished++;
    e[hashIndex(slot)] = hash;
    for (let k = 0; k < Layout.KEY_WORDS; k++) e[at + k] = key[keyAt + k];
    e[at + Layout.E_NODE] = node;
    e[at + Layout.E_STATE] = state;
    e[at + Layout.E_SEEN] = now;
    e[at + Layout.E_CLASS] = cls;
    e[at + Layout.E_EXPORTED] = 0;
    if (cls === Layout.ESTABLISHED) this.established(at, hash);
    return slot;
  }

  /** Tracks `key` as established on `node` (a flow another node reported), new or re-homed. */
  upsert(key: Int32Array, hash: number, node: number, state: number, now: number): void {
    const slot = this.find(key, hash);
    if (slot >= 0) this.reassign(slot, node, state, now, Layout.ESTABLISHED);
    else this.insert(key, hash, node, state, now, Layout.ESTABLISHED);
  }

  /**
   * Calls `fn` for each established entry in slots [from, to): `entry[at..]` holds its key,
   * `entry[at + FLOW_KEY_WORDS]` its node; `hash` is its flow hash. For copying flows elsewhere
   * (a dump); a range lets a caller do it in slices.
   */
  forEachEstablished(fn: (entry: Int32Array, at: number, hash: number) => void, from = 0, to = this.capacity): void {
    const e = this.entries;
    for (let s = from; s < to; s++) {
      const at = entryIndex(s);
      if (e[at + Layout.E_CLASS] === Layout.ESTABLISHED) fn(e, at, e[hashIndex(s)]);
    }
  }

  /** Forgets the flow in `slot`. */
  remove(slot: number): void {
    const at = entryIndex(slot) + Layout.E_CLASS;
    if (this.entries[at] === Layout.EMPTY) return;
    this.entries[at] = Layout.EMPTY;
    this.size--;
  }

  /** Forgets every flow. */
  clear(): void {
    this.entries.fill(0);
    this.size = 0;
  }

  // First time established: mark it, and hand it to the exporter.
  private established(at: number, hash: number): void {
    this.entries[at + Layout.E_EXPORTED] = 1;
    this.exporter?.push(this.entries, at, hash);
  }

  /** Counts the entries again (`size`), after another thread changed the shared memory. */
  recount(): void {
    let n = 0;
    for (let s = 0; s < this.capacity; s++) if (this.entries[entryIndex(s) + Layout.E_CLASS] !== Layout.EMPTY) n++;
    this.size = n;
  }

  // The slot a new entry of class `cls` may take in the bucket at `base`, or -1.
  private victim(base: number, now: number, cls: number): number {
    const e = this.entries;
    let oldestEmbryonic = -1;
    let oldestEmbryonicAge = -1;
    let oldestEstablished = -1;
    let oldestEstablishedAge = -1;
    for (let s = base; s < base + Layout.WAYS; s++) {
      const at = entryIndex(s);
      const c = e[at + Layout.E_CLASS];
      if (c === Layout.EMPTY) return s;
      const age = (now - e[at + Layout.E_SEEN]) >>> 0; // wrap-safe
      if (c === Layout.EMBRYONIC) {
        if (age > oldestEmbryonicAge) { oldestEmbryonic = s; oldestEmbryonicAge = age; }
      } else if (age > oldestEstablishedAge) {
        oldestEstablished = s;
        oldestEstablishedAge = age;
      }
    }
    if (oldestEmbryonic >= 0) return oldestEmbryonic;
    if (cls === Layout.ESTABLISHED || oldestEstablishedAge >= this.idleMs) return oldestEstablished;
    return -1;
  }
}

// Does the entry at `at` hold the key at key[k]? Unrolled (a loop costs more than the compares
// on the hot path); the words that differ most often first. An IPv4 key's address words 1-3 and
// 5-7 are padding, 0 in every key (and left out of its hash): its kind word ends the compare.
function holds(e: Int32Array, at: number, key: Int32Array, k: number): boolean {
  if (e[at + Layout.E_CLASS] === Layout.EMPTY || e[at] !== key[k] || e[at + 4] !== key[k + 4] || e[at + 8] !== key[k + 8] ||
    e[at + 9] !== key[k + 9]) return false;
  return (key[k + 9] & Layout.KIND_IPV6) === 0 || (e[at + 1] === key[k + 1] && e[at + 2] === key[k + 2] && e[at + 3] === key[k + 3] &&
    e[at + 5] === key[k + 5] && e[at + 6] === key[k + 6] && e[at + 7] === key[k + 7]);
}

function roundCapacity(wanted: number): number {
  if (!Number.isInteger(wanted) || wanted < 1 || wanted > 2 ** 26) {
    throw new LbError('ERR_FLOW_TABLE_CAPACITY',
      `Expected a flow table capacity between 1 and ${2 ** 26} entries, but received ${wanted}.`);
  }
  let capacity = Layout.WAYS;
  while (capacity < wanted) capacity *= 2;
  return capacity;
}
