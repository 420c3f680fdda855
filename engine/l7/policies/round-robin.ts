// Round robin over the servers that are up (weights ignored, except 0 = drained).
import { Membership, type Policy } from './policy.js';

export class RoundRobin implements Policy {
  private order: number[] = [];
  private next = 0;
  private readonly members: Membership;
  constructor(weights: readonly number[]) {
    this.members = new Membership(weights, () => { this.order = this.members.live(); });
    this.order = this.members.live();
  }
  onUp(s: number): void { this.members.set(s, true, undefined); }
  onDown(s: number): void { this.members.set(s, false, undefined); }
  onWeight(s: number, w: number): void { this.members.set(s, undefined, w); }
  pick(): number {
    const n = this.order.length;
    if (n === 0) return -1;
    if (this.next >= n) this.next = 0;
    return this.order[this.next++];
  }
}
