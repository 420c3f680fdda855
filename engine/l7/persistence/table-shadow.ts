// A node's view of what the other nodes know of one shared hash-group table: a copy of the cells
// as last sent or received. Cells that differ from it were learnt here since (by the workers), so
// they are what to send; a cell received from a peer goes into both, so it is never echoed back.
import { LbError } from '../../errors.js';

/**
 * The cells of `current` that differ from `shadow`, as flattened (group, value) pairs; `shadow`
 * takes their values (the next call reports only later changes).
 */
export function diffCells(current: Int32Array, shadow: Int32Array): number[] {
  if (current.length !== shadow.length) throw new LbError('ERR_L7_HASH_GROUPS', `Expected a shadow of ${current.length} hash groups, but received ${shadow.length}.`);
  const changed: number[] = [];
  for (let g = 0; g < current.length; g++) {
    const v = current[g]!;
    if (v !== shadow[g]) {
      shadow[g] = v;
      changed.push(g, v);
    }
  }
  return changed;
}

/** Every non-empty cell of `cells`, as flattened (group, value) pairs (a dump). */
export function filledCells(cells: Int32Array): number[] {
  const out: number[] = [];
  for (let g = 0; g < cells.length; g++) if (cells[g] !== 0) out.push(g, cells[g]!);
  return out;
}

export class TableShadow {
  private readonly shadow: Int32Array;
  /** `cells`: the table shared with the workers; `servers`: the pool's server count (a cell holds index + 1). */
  constructor(readonly cells: Int32Array, readonly fingerprint: number, private readonly servers: number) {
    // Empty: whatever the table holds already is news to the peers.
    this.shadow = new Int32Array(cells.length);
  }

  /** The cells learnt here since the last call, as (group, value) pairs. */
  changes(): number[] { return diffCells(this.cells, this.shadow); }

  /**
   * A peer's cells, stored as they are (the last writer wins); none is stored, and false is
   * returned, when one names no group or server of this table.
   */
  store(groups: Uint32Array, values: Int32Array): boolean {
    for (let i = 0; i < groups.length; i++) {
      if (groups[i]! >= this.cells.length || values[i]! < 0 || values[i]! > this.servers) return false;
    }
    for (let i = 0; i < groups.length; i++) {
      Atomics.store(this.cells, groups[i]!, values[i]!);
      this.shadow[groups[i]!] = values[i]!;
    }
    return true;
  }
}
