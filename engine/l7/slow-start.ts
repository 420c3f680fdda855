// Slow start (HAProxy's `slowstart`): a server that comes back up is given its weight in steps
// over the pool's slowStart time, so a cold server (empty caches, JIT, connection pools) is not
// handed its full share of new requests at once. Only the weight-driven policies ramp (weighted
// round robin, least connections): for a hash policy a ramp would move keys twice, and plain
// round robin ignores weights.

/** Steps of a ramp: a server coming up gets 1/RAMP_STEPS of its weight, the last step all of it. */
export const RAMP_STEPS = 20;

/** The ramp step (1..RAMP_STEPS) `elapsedMs` after the server came up, for a ramp of `slowStartMs`. */
export function rampStep(elapsedMs: number, slowStartMs: number): number {
  if (slowStartMs <= 0 || elapsedMs >= slowStartMs) return RAMP_STEPS;
  return Math.min(RAMP_STEPS, Math.max(1, Math.ceil((RAMP_STEPS * Math.max(0, elapsedMs)) / slowStartMs)));
}
