// Smooth weighted round robin (the interleaving nginx made popular): each turn every server
// gains its weight, the richest is chosen and pays the total. The whole cycle is computed when
// membership changes, so pick() is an array read. Weights are divided by their GCD and the
// cycle is capped so a change costs at most a few thousand steps.
import { Membership, type Policy } from './policy.js';

const MAX_CYCLE = 4096;

function gcd(a: number, b: number): number { while (b) [a, b] = [b, a % b]; return a; }

export function smoothCycle(servers: number[], weights: number[]): number[] {
  if (servers.length === 0) return [];
  let ws = servers.map((s) => Math.max(1, Math.round(weights[s])));
  const g = ws.reduce(gcd);
  ws = ws.map((w) => w / g);
  let total = ws.reduce((a, b) => a + b, 0);
  if (total > MAX_CYCLE) {
    ws = ws.map((w) => Math.max(1, Math.round((w * MAX_CYCLE) / total)));
    total = ws.reduce((a, b) => a + b, 0);
  }
  const current = ws.map(() => 0);
  const cycle: number[] = [];
  for (let step = 0; step < total; step++) {
    let best = 0;
    for (let i = 0; i < ws.length; i++) {
      current[i] += ws[i];
      if (current[i] > current[best]) best = i;
    }
    current[best] -= total;
    cycle.push(servers[best]);
  }
  return cycle;
}

export class WeightedRoundRobin implements Policy {
  private cycle: number[] = [];
  private next = 0;
  private readonly members: Membership;
  constructor(weights: readonly number[]) {
    const rebuild = () => { this.cycle = smoothCycle(this.members.live(), this.members.weights); this.next = 0; };
    this.members = new Membership(weights, rebuild);
    rebuild();
  }
  onUp(s: number): void { this.members.set(s, true, undefined); }
  onDown(s: number): void { this.members.set(s, false, undefined); }
  onWeight(s: number, w: number): void { this.members.set(s, undefined, w); }
  pick(): number {
    const n = this.cycle.length;
    if (n === 0) return -1;
    if (this.next >= n) this.next = 0;
    return this.cycle[this.next++];
  }
}
