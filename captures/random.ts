// A seeded generator (xorshift32): the captures come out byte-identical on every run.
export class Random {
  private state: number;
  constructor(seed: number) { this.state = seed >>> 0 || 1; }
  /** A uint32. */
  next(): number {
    let x = this.state;
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return (this.state = x);
  }
  /** An integer in [0, n). */
  below(n: number): number { return this.next() % n; }
  pick<T>(items: readonly T[]): T { return items[this.below(items.length)]; }
}
