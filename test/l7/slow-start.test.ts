// Slow start: a server that comes back up gets its weight in steps, for the weighted policies.
import t from 'tap';
import { BackendPool } from '../../engine/l7/backend-pool.js';
import { RAMP_STEPS, rampStep } from '../../engine/l7/slow-start.js';
import type { PoolOptions } from '../../engine/l7/types.js';

const shared = { secret: 'test' };
const pool = (policy: PoolOptions['policy'], slowStartMs: number) => new BackendPool({
  name: 'p', policy, slowStartMs, servers: [{ id: 'a', host: '127.0.0.1', port: 1 }, { id: 'b', host: '127.0.0.1', port: 2 }],
}, shared);
/** How many of `n` picks go to server index 1 (b). */
const picksOfB = (p: BackendPool, n: number) => Array.from({ length: n }, () => p.policy.pick({ key: '' })).filter((i) => i === 1).length;

t.test('rampStep: the first step at once, then linear, all of it at the end', async (t) => {
  t.equal(rampStep(0, 10_000), 1, 'a server just up gets the first step');
  t.equal(rampStep(5_000, 10_000), RAMP_STEPS / 2, 'half way: half the weight');
  t.equal(rampStep(9_999, 10_000), RAMP_STEPS);
  t.equal(rampStep(10_000, 10_000), RAMP_STEPS);
  t.equal(rampStep(-5, 10_000), 1, 'a clock step backwards stays at the first step');
  t.equal(rampStep(0, 0), RAMP_STEPS, 'no slow start: full weight at once');
});

t.test('weighted round robin: a returning server ramps from 1/20 of its share to all of it', async (t) => {
  const p = pool({ kind: 'weighted-round-robin' }, 10_000);
  t.equal(picksOfB(p, 40), 20, 'at start both servers are up at full weight: no ramp');
  p.setState('b', { up: false }, 0);
  t.equal(picksOfB(p, 40), 0, 'down: no picks');
  p.setState('b', { up: true }, 1_000);
  t.equal(picksOfB(p, 21), 1, 'just up: 1 pick in 21 (weights 20:1)');
  p.sweep(6_000);
  t.equal(picksOfB(p, 30), 10, 'half way: 10 in 30 (weights 20:10)');
  p.sweep(11_000);
  t.equal(picksOfB(p, 40), 20, 'after slowStart: an equal share again');
  p.sweep(20_000);
  t.equal(picksOfB(p, 40), 20, 'and it stays');
});

t.test('least connections: a ramping server counts its load against its ramped weight', async (t) => {
  const p = pool({ kind: 'least-connections' }, 10_000);
  p.setState('b', { up: false }, 0);
  p.setState('b', { up: true }, 0);
  p.load[0] = 10;
  p.load[1] = 1;
  // a: 10 / 20 = 0.5; b at its first step: 1 / 1 = 1. Without the ramp b (1 / 20) would win.
  t.equal(p.policy.pick({ key: '' }), 0, 'the loaded but warm server wins over the cold one');
  p.sweep(10_000);
  t.equal(p.policy.pick({ key: '' }), 1, 'after the ramp the lighter server wins');
});

t.test('hash and plain round robin do not ramp: a hash key does not move twice', async (t) => {
  for (const policy of [{ kind: 'hash', on: 'url' }, { kind: 'round-robin' }] as const) {
    const p = pool(policy, 10_000);
    const before = Array.from({ length: 200 }, (_, i) => p.policy.pick({ key: `/k${i}` }));
    p.setState('b', { up: false }, 0);
    p.setState('b', { up: true }, 0);
    const after = Array.from({ length: 200 }, (_, i) => p.policy.pick({ key: `/k${i}` }));
    t.same(after.filter((x) => x === 1).length, before.filter((x) => x === 1).length, `${policy.kind}: the returning server has its full share at once`);
  }
});
