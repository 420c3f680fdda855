// Builds the policy a pool asks for.
import type { PolicyOptions } from '../types.js';
import { WithBackups } from './backups.js';
import { HashPolicy } from './hash.js';
import { LeastConnections } from './least-connections.js';
import type { Policy } from './policy.js';
import { RoundRobin } from './round-robin.js';
import { WeightedRoundRobin } from './weighted-round-robin.js';

/** `backups`: servers that only serve while no other one can (see WithBackups). */
export function createPolicy(options: PolicyOptions, ids: readonly string[], weights: readonly number[], load: Int32Array,
  backups: readonly boolean[] = []): Policy {
  if (backups.some((b) => b)) {
    return new WithBackups(createPolicy(options, ids, weights.map((w, i) => (backups[i] ? 0 : w)), load), backups, weights);
  }
  switch (options.kind) {
    case 'round-robin': return new RoundRobin(weights);
    case 'weighted-round-robin': return new WeightedRoundRobin(weights);
    case 'least-connections': return new LeastConnections(weights, load);
    case 'hash': return new HashPolicy(ids, weights);
  }
}
