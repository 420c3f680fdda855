// Backup servers (HAProxy's `backup`): they get requests only while no other server of the pool
// can take one, and then the first backup that is up takes them all (HAProxy's default: one
// backup at a time keeps a cold spare's load predictable). The pool's own policy runs over the
// other servers, with every backup at weight 0.
import { Membership, type PickContext, type Policy } from './policy.js';

export class WithBackups implements Policy {
  private first = -1;
  private readonly backups: Membership;
  /** `primary` was built with every backup at weight 0; `weights` are the real ones. */
  constructor(private readonly primary: Policy, private readonly isBackup: readonly boolean[], weights: readonly number[]) {
    this.backups = new Membership(weights.map((w, i) => (isBackup[i] ? w : 0)), () => { this.first = this.backups.live()[0] ?? -1; });
    this.first = this.backups.live()[0] ?? -1;
  }
  onUp(s: number): void { if (this.isBackup[s]) this.backups.set(s, true, undefined); else this.primary.onUp(s); }
  onDown(s: number): void { if (this.isBackup[s]) this.backups.set(s, false, undefined); else this.primary.onDown(s); }
  onWeight(s: number, w: number): void { if (this.isBackup[s]) this.backups.set(s, undefined, w); else this.primary.onWeight(s, w); }
  pick(ctx: PickContext): number {
    const i = this.primary.pick(ctx);
    return i >= 0 ? i : this.first;
  }
}
