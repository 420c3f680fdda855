// The persistence sync datagram (UDP between the nodes of one array), pure encode/decode.
//
//   0      4      5   6       8             12
//   | "LBP1" | type | 0 | count | fingerprint | count × (group u32, value i32)
//
// CELLS carries hash-group cells of one pool's table (value = server index + 1, 0 = empty);
// DUMP_REQUEST (count 0, fingerprint 0) asks the peers for every cell they hold (a node that
// starts, or a reload that made a new table). A cell names a server by its index, so each
// datagram carries the fingerprint of its pool (name, servers in order, group count): a node
// whose pool differs ignores it.
import { fnv1a } from '../policies/policy.js';

export const TableSyncType = { CELLS: 1, DUMP_REQUEST: 2 } as const;

const MAGIC = 0x3150424c; // "LBP1" read as a little-endian u32
const HEADER_BYTES = 12;
const CELL_BYTES = 8;
/** Cells per datagram: keeps a datagram under 1400 bytes (no fragmentation on a 1500 MTU). */
export const CELLS_PER_DATAGRAM = Math.floor((1400 - HEADER_BYTES) / CELL_BYTES);

export type TableSyncMessage =
  | { type: typeof TableSyncType.CELLS; fingerprint: number; groups: Uint32Array; values: Int32Array }
  | { type: typeof TableSyncType.DUMP_REQUEST };

/** What makes two nodes' tables of a pool interchangeable: its name, its servers in order, its size. */
export function poolFingerprint(pool: string, serverIds: readonly string[], groups: number): number {
  return fnv1a(`${pool}\0${groups}\0${serverIds.join('\0')}`);
}

/** Datagrams carrying `cells` (group, value pairs, flattened) of the pool with `fingerprint`. */
export function encodeCells(fingerprint: number, cells: readonly number[]): Buffer[] {
  const out: Buffer[] = [];
  for (let from = 0; from < cells.length; from += 2 * CELLS_PER_DATAGRAM) {
    const count = Math.min(CELLS_PER_DATAGRAM, (cells.length - from) / 2);
    const b = header(TableSyncType.CELLS, count, fingerprint);
    for (let i = 0; i < count; i++) {
      b.writeUInt32LE(cells[from + 2 * i]!, HEADER_BYTES + i * CELL_BYTES);
      b.writeInt32LE(cells[from + 2 * i + 1]!, HEADER_BYTES + i * CELL_BYTES + 4);
    }
    out.push(b);
  }
  return out;
}

export function encodeDumpRequest(): Buffer { return header(TableSyncType.DUMP_REQUEST, 0, 0); }

function header(type: number, count: number, fingerprint: number): Buffer {
  const b = Buffer.alloc(HEADER_BYTES + count * CELL_BYTES);
  b.writeUInt32LE(MAGIC, 0);
  b.writeUInt8(type, 4);
  b.writeUInt16LE(count, 6);
  b.writeUInt32LE(fingerprint, 8);
  return b;
}

/** Decodes a datagram; a string says why it is not one (short, magic, type, length). */
export function decodeTableSync(b: Uint8Array): TableSyncMessage | string {
  if (b.length < HEADER_BYTES) return 'short';
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (v.getUint32(0, true) !== MAGIC) return 'magic';
  const type = v.getUint8(4);
  const count = v.getUint16(6, true);
  if (b.length !== HEADER_BYTES + count * CELL_BYTES) return 'length';
  if (type === TableSyncType.DUMP_REQUEST) return count === 0 ? { type } : 'length';
  if (type !== TableSyncType.CELLS) return 'type';
  const groups = new Uint32Array(count);
  const values = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    groups[i] = v.getUint32(HEADER_BYTES + i * CELL_BYTES, true);
    values[i] = v.getInt32(HEADER_BYTES + i * CELL_BYTES + 4, true);
  }
  return { type, fingerprint: v.getUint32(8, true), groups, values };
}
