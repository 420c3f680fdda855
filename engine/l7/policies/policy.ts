// The shape every scheduling policy shares (STYLE 9): membership callbacks keep the policy's
// own structure current, so pick() is a lookup. Servers are indexes into the pool's list.
export interface PickContext {
  /** The hash key for hash policies (URL, header, cookie or client address). */
  key: string;
}

export interface Policy {
  onUp(server: number): void;
  onDown(server: number): void;
  onWeight(server: number, weight: number): void;
  /** The chosen server index, or -1 when no server is up. */
  pick(ctx: PickContext): number;
}

/** Up/weight bookkeeping shared by the policies; `rebuild` runs after every change. */
export class Membership {
  readonly up: boolean[];
  readonly weights: number[];
  constructor(weights: readonly number[], private readonly rebuild: () => void) {
    this.up = weights.map(() => true);
    this.weights = [...weights];
  }
  set(server: number, up: boolean | undefined, weight: number | undefined): void {
    if (up !== undefined) this.up[server] = up;
    if (weight !== undefined) this.weights[server] = weight;
    this.rebuild();
  }
  /** Indexes of servers that are up with a weight above 0. */
  live(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.up.length; i++) if (this.up[i] && this.weights[i] > 0) out.push(i);
    return out;
  }
}

/** 32-bit FNV-1a of a string's UTF-16 units: cheap, stable across workers and restarts. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
