// The flow sync datagram (UDP between the nodes of one array), pure encode/decode.
//
//   0      4     5      6       8
//   | "LBF1" | type | 0 | count | count × entry
//   entry: the flow key, FLOW_KEY_WORDS little-endian 32-bit words, then the node index (16 bits)
//
// ENTRIES carries flows (key → node); DUMP_REQUEST asks the scheduler for every flow it knows
// (a node that starts); DUMP_END closes a dump. Keys travel as the flow table keeps them, so the
// receiver hashes them with the same function every scheduler uses (flow-hash.ts).
import { FLOW_KEY_WORDS } from './flow-table.js';

export const SyncType = { ENTRIES: 1, DUMP_REQUEST: 2, DUMP_END: 3 } as const;
export type SyncTypeValue = (typeof SyncType)[keyof typeof SyncType];

const MAGIC = 0x3146424c; // "LBF1" read as a little-endian u32
const HEADER_BYTES = 8;
export const SYNC_ENTRY_BYTES = 4 * FLOW_KEY_WORDS + 2;
/** Entries per datagram: keeps a datagram under 1400 bytes (no fragmentation on a 1500 MTU). */
export const SYNC_ENTRIES_PER_DATAGRAM = Math.floor((1400 - HEADER_BYTES) / SYNC_ENTRY_BYTES);

export interface SyncMessage {
  type: SyncTypeValue;
  /** ENTRIES: FLOW_KEY_WORDS words per entry. */
  keys: Int32Array;
  /** ENTRIES: the node index of each entry. */
  nodes: Uint16Array;
}

/** Builds datagrams of flows: `add` each, `take` the ones that are full (and, at the end, the rest). */
export class SyncEncoder {
  private buf = Buffer.alloc(HEADER_BYTES + SYNC_ENTRIES_PER_DATAGRAM * SYNC_ENTRY_BYTES);
  private count = 0;
  private readonly full: Buffer[] = [];

  /** Adds the flow whose key starts at `words[at]`, held by `node`. */
  add(words: Int32Array, at: number, node: number): void {
    const off = HEADER_BYTES + this.count * SYNC_ENTRY_BYTES;
    for (let k = 0; k < FLOW_KEY_WORDS; k++) this.buf.writeInt32LE(words[at + k], off + 4 * k);
    this.buf.writeUInt16LE(node, off + 4 * FLOW_KEY_WORDS);
    if (++this.count === SYNC_ENTRIES_PER_DATAGRAM) this.flush();
  }

  /** The datagrams built so far, the partly filled one included; the encoder starts afresh. */
  take(): Buffer[] {
    if (this.count > 0) this.flush();
    return this.full.splice(0);
  }

  private flush(): void {
    writeHeader(this.buf, SyncType.ENTRIES, this.count);
    this.full.push(this.buf.subarray(0, HEADER_BYTES + this.count * SYNC_ENTRY_BYTES));
    this.buf = Buffer.alloc(this.buf.length);
    this.count = 0;
  }
}

/** A datagram with no entries (DUMP_REQUEST, DUMP_END). */
export function encodeControl(type: typeof SyncType.DUMP_REQUEST | typeof SyncType.DUMP_END): Buffer {
  const b = Buffer.alloc(HEADER_BYTES);
  writeHeader(b, type, 0);
  return b;
}

function writeHeader(b: Buffer, type: SyncTypeValue, count: number): void {
  b.writeUInt32LE(MAGIC, 0);
  b.writeUInt8(type, 4);
  b.writeUInt8(0, 5);
  b.writeUInt16LE(count, 6);
}

/** Decodes a datagram; a string says why it is not one (wrong magic, type, length, node). */
export function decodeSync(b: Uint8Array, nodeCount: number): SyncMessage | string {
  if (b.length < HEADER_BYTES) return 'short';
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (v.getUint32(0, true) !== MAGIC) return 'magic';
  const type = v.getUint8(4);
  if (type !== SyncType.ENTRIES && type !== SyncType.DUMP_REQUEST && type !== SyncType.DUMP_END) return 'type';
  const count = v.getUint16(6, true);
  if (type !== SyncType.ENTRIES && count !== 0) return 'length';
  if (b.length !== HEADER_BYTES + count * SYNC_ENTRY_BYTES) return 'length';
  const keys = new Int32Array(count * FLOW_KEY_WORDS);
  const nodes = new Uint16Array(count);
  for (let i = 0; i < count; i++) {
    const off = HEADER_BYTES + i * SYNC_ENTRY_BYTES;
    for (let k = 0; k < FLOW_KEY_WORDS; k++) keys[i * FLOW_KEY_WORDS + k] = v.getInt32(off + 4 * k, true);
    nodes[i] = v.getUint16(off + 4 * FLOW_KEY_WORDS, true);
    if (nodes[i] >= nodeCount) return 'node';
  }
  return { type, keys, nodes };
}
