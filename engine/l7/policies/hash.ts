// Hash scheduling (claim 11): a key (URL, header, cookie or client address) picks a server
// through helper D's Maglev table (engine/scheduler/maglev.ts), so when one of N servers
// leaves only ≈ 1/N of the keys move. Down servers keep their index with weight 0, which
// Maglev treats as absent. The table is rebuilt on membership change; pick() is a lookup.
import { buildMaglevTable } from '../../scheduler/maglev.js';
import { Membership, fnv1a, type PickContext, type Policy } from './policy.js';

export const HASH_TABLE_SIZE = 65537;

export class HashPolicy implements Policy {
  private table: Int32Array = new Int32Array(0);
  private readonly members: Membership;
  constructor(private readonly ids: readonly string[], weights: readonly number[]) {
    const rebuild = () => {
      const list = this.ids.map((id, i) => ({ id, weight: this.members.up[i] ? Math.max(0, Math.round(this.members.weights[i])) : 0 }));
      this.table = buildMaglevTable(list, HASH_TABLE_SIZE);
    };
    this.members = new Membership(weights, rebuild);
    rebuild();
  }
  onUp(s: number): void { this.members.set(s, true, undefined); }
  onDown(s: number): void { this.members.set(s, false, undefined); }
  onWeight(s: number, w: number): void { this.members.set(s, undefined, w); }
  pick(ctx: PickContext): number {
    return this.table[fnv1a(ctx.key) % HASH_TABLE_SIZE];
  }
}
