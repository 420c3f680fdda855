// Rise/fall over probe results: a node goes down after `fall` failures in a row and comes back
// after `rise` passes in a row. Pure; the prober feeds it, the cluster part reads the up set.
export interface RiseFallOptions {
  rise: number;
  fall: number;
}

interface Entry {
  up: boolean;
  /** Consecutive results that disagree with `up`. */
  streak: number;
}

export class NodeHealth {
  readonly #nodes = new Map<string, Entry>();

  /** Every node starts up: a starting array serves at once, and a dead node leaves after `fall`. */
  constructor(ids: readonly string[], private readonly opts: RiseFallOptions) {
    for (const id of ids) this.#nodes.set(id, { up: true, streak: 0 });
  }

  /** Records one probe result; true if the node changed state. Unknown ids are ignored. */
  record(id: string, pass: boolean): boolean {
    const e = this.#nodes.get(id);
    if (!e) return false;
    if (pass === e.up) {
      e.streak = 0;
      return false;
    }
    e.streak++;
    if (e.streak < (e.up ? this.opts.fall : this.opts.rise)) return false;
    e.up = pass;
    e.streak = 0;
    return true;
  }

  /** Takes a node down at once, whatever its streak (a probe that proves it cannot serve); true if it was up. */
  markDown(id: string): boolean {
    const e = this.#nodes.get(id);
    if (!e?.up) return false;
    e.up = false;
    e.streak = 0;
    return true;
  }

  isUp(id: string): boolean {
    return this.#nodes.get(id)?.up ?? false;
  }

  upSet(): Set<string> {
    return new Set([...this.#nodes].filter(([, e]) => e.up).map(([id]) => id));
  }
}
