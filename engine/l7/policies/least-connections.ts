// Least connections: the up server with the fewest requests in flight relative to its weight.
// `load` is the pool's live in-flight counter array (per worker: each worker balances its own
// share, as HAProxy threads do). A scan over the up servers; pools are small.
import { Membership, type Policy } from './policy.js';

export class LeastConnections implements Policy {
  private live: number[] = [];
  private rotate = 0;
  private readonly members: Membership;
  constructor(weights: readonly number[], private readonly load: Int32Array) {
    this.members = new Membership(weights, () => { this.live = this.members.live(); });
    this.live = this.members.live();
  }
  onUp(s: number): void { this.members.set(s, true, undefined); }
  onDown(s: number): void { this.members.set(s, false, undefined); }
  onWeight(s: number, w: number): void { this.members.set(s, undefined, w); }
  pick(): number {
    const n = this.live.length;
    if (n === 0) return -1;
    // Start the scan at a rotating offset so ties are spread rather than always the first.
    const start = this.rotate++ % n;
    let best = -1;
    let bestScore = Infinity;
    for (let k = 0; k < n; k++) {
      const s = this.live[(start + k) % n];
      const score = this.load[s] / this.members.weights[s];
      if (score < bestScore) { bestScore = score; best = s; }
    }
    return best;
  }
}
