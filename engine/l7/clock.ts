// One coarse timer per worker instead of a timer per connection: each connection holds a
// deadline number; a periodic sweep fires the expired ones. Per request this costs a number
// assignment, not a timer allocation.
export interface Timed {
  deadline: number;
  onDeadline(now: number): void;
}

export class Clock {
  now = Date.now();
  private readonly items = new Set<Timed>();
  private readonly extra: Array<(now: number) => void> = [];
  private readonly timer: NodeJS.Timeout;
  constructor(resolutionMs: number) {
    this.timer = setInterval(() => this.tick(), resolutionMs);
    this.timer.unref();
  }
  add(item: Timed): void { this.items.add(item); }
  delete(item: Timed): void { this.items.delete(item); }
  /** Also call `fn` every tick (pool sweeps). */
  every(fn: (now: number) => void): void { this.extra.push(fn); }
  tick(): void {
    const now = (this.now = Date.now());
    for (const item of this.items) if (item.deadline !== 0 && item.deadline <= now) item.onDeadline(now);
    for (const fn of this.extra) fn(now);
  }
  stop(): void { clearInterval(this.timer); }
}
