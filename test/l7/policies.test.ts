import t from 'tap';
import { RoundRobin } from '../../engine/l7/policies/round-robin.js';
import { WeightedRoundRobin, smoothCycle } from '../../engine/l7/policies/weighted-round-robin.js';
import { LeastConnections } from '../../engine/l7/policies/least-connections.js';
import { HashPolicy } from '../../engine/l7/policies/hash.js';
import { createPolicy } from '../../engine/l7/policies/index.js';
import type { Policy } from '../../engine/l7/policies/policy.js';
import { HashGroupTable } from '../../engine/l7/persistence/hash-groups.js';
import { cookieValue, setCookiePair } from '../../engine/l7/persistence/cookies.js';
import { pathParameter } from '../../engine/l7/persistence/session-id.js';
import { serverToken } from '../../engine/l7/persistence/cookie-injection.js';
import { Router, hostOnly } from '../../engine/l7/routing.js';

const picks = (p: Policy, n: number, key = (i: number) => `k${i}`) => Array.from({ length: n }, (_, i) => p.pick({ key: key(i) }));

t.test('round robin cycles over up servers; down and weight-0 servers are skipped', async (t) => {
  const p = new RoundRobin([1, 1, 1]);
  t.same(picks(p, 6), [0, 1, 2, 0, 1, 2]);
  p.onDown(1);
  t.same(picks(p, 4), [0, 2, 0, 2]);
  p.onWeight(2, 0);
  t.same(picks(p, 2), [0, 0]);
  p.onDown(0);
  t.equal(p.pick({ key: '' }), -1, 'nothing up → -1');
  p.onUp(1);
  t.same(picks(p, 2), [1, 1]);
});

const smoothCases = [
  { name: 'nginx example 5:1:1 interleaves', weights: [5, 1, 1], cycle: [0, 0, 1, 0, 2, 0, 0] },
  { name: 'equal weights alternate', weights: [2, 2], cycle: [0, 1] },
  { name: '3:2 interleaved, not bunched', weights: [3, 2], cycle: [0, 1, 0, 1, 0] },
];
for (const c of smoothCases) {
  t.test(`smooth weighted round robin: ${c.name}`, async (t) => {
    t.same(smoothCycle(c.weights.map((_, i) => i), c.weights), c.cycle);
    const p = new WeightedRoundRobin(c.weights);
    t.same(picks(p, c.cycle.length * 2), [...c.cycle, ...c.cycle]);
  });
}

t.test('weighted round robin shares follow weights and membership', async (t) => {
  const p = new WeightedRoundRobin([3, 1, 0]);
  const counts = [0, 0, 0];
  for (const s of picks(p, 400)) counts[s]++;
  t.same(counts, [300, 100, 0]);
  p.onWeight(2, 4);
  p.onDown(0);
  const after = [0, 0, 0];
  for (const s of picks(p, 500)) after[s]++;
  t.same(after, [0, 100, 400]);
  t.ok(smoothCycle([0, 1], [100000, 1]).length <= 4096 + 2, 'cycle length is capped');
});

t.test('least connections picks the least loaded up server, relative to weight', async (t) => {
  const load = new Int32Array(3);
  const p = new LeastConnections([1, 1, 2], load);
  load.set([5, 3, 5]);
  t.equal(p.pick({ key: '' }), 2, '5/2 < 3/1 < 5/1');
  load.set([0, 3, 8]);
  t.equal(p.pick({ key: '' }), 0);
  p.onDown(0);
  t.equal(p.pick({ key: '' }), 1);
  load.set([0, 0, 0]);
  const seen = new Set(picks(p, 4));
  t.same([...seen].sort(), [1, 2], 'ties rotate');
});

t.test('hash policy: same key same server; a server leaving moves about 1/N of keys', async (t) => {
  const ids = ['s0', 's1', 's2', 's3', 's4'];
  const p = new HashPolicy(ids, ids.map(() => 1));
  const keys = Array.from({ length: 5000 }, (_, i) => `/page/${i}?q=${i * 7}`);
  const before = keys.map((k) => p.pick({ key: k }));
  t.same(keys.slice(0, 50).map((k) => p.pick({ key: k })), before.slice(0, 50), 'deterministic');
  const share = ids.map((_, s) => before.filter((x) => x === s).length / keys.length);
  t.ok(share.every((x) => x > 0.15 && x < 0.25), `balanced: ${share.map((x) => x.toFixed(3)).join(' ')}`);
  p.onDown(2);
  const after = keys.map((k) => p.pick({ key: k }));
  const moved = keys.filter((_, i) => before[i] !== after[i]).length / keys.length;
  t.ok(after.every((s) => s !== 2), 'no key on the down server');
  const others = keys.filter((_, i) => before[i] !== 2);
  const strays = others.filter((k) => before[keys.indexOf(k)] !== after[keys.indexOf(k)]).length / others.length;
  t.ok(strays < 0.05, `keys of the remaining servers stay put (Maglev moves ${(strays * 100).toFixed(1)} % of them)`);
  t.ok(moved > 0.15 && moved < 0.25, `disruption ≈ 1/N: ${(moved * 100).toFixed(1)} %`);
  p.onUp(2);
  t.same(keys.map((k) => p.pick({ key: k })), before, 'coming back restores the same mapping');
  p.onWeight(0, 0);
  t.ok(keys.every((k) => p.pick({ key: k }) !== 0), 'weight 0 drains');
});

t.test('createPolicy builds each kind', async (t) => {
  const load = new Int32Array(2);
  for (const kind of ['round-robin', 'weighted-round-robin', 'least-connections'] as const) {
    t.ok(createPolicy({ kind }, ['a', 'b'], [1, 1], load).pick({ key: '' }) >= 0, kind);
  }
  t.ok(createPolicy({ kind: 'hash', on: 'url' }, ['a', 'b'], [1, 1], load) instanceof HashPolicy);
});

t.test('hash-group table: shared memory, O(1), exportable', async (t) => {
  const a = HashGroupTable.create(4096);
  const b = new HashGroupTable(a.buffer);
  t.equal(a.lookup('client-1'), -1);
  a.assign('client-1', 3);
  t.equal(b.lookup('client-1'), 3, 'a second view of the buffer sees the assignment');
  const copy = a.export();
  t.equal(copy.length, 4096);
  const c = HashGroupTable.create(4096);
  c.import(copy);
  t.equal(c.lookup('client-1'), 3, 'import restores the table');
  a.clearServer(3);
  t.equal(b.lookup('client-1'), -1);
  t.throws(() => HashGroupTable.create(0), { code: 'ERR_L7_HASH_GROUPS' });
  t.throws(() => c.import(new Int32Array(5)), { code: 'ERR_L7_HASH_GROUPS' });
  t.equal(a.buffer.byteLength, 4096 * 4, 'memory fixed whatever the number of clients');
});

t.test('cookie and session-ID helpers', async (t) => {
  const cases: Array<[string | undefined, string, string | undefined]> = [
    ['a=1; JSESSIONID=abc; b=2', 'JSESSIONID', 'abc'],
    ['XJSESSIONID=no; JSESSIONID=yes', 'JSESSIONID', 'yes'],
    ['JSESSIONID=first', 'JSESSIONID', 'first'],
    ['a=1', 'JSESSIONID', undefined],
    [undefined, 'x', undefined],
  ];
  for (const [header, name, want] of cases) t.equal(cookieValue(header, name), want, `${header} ${name}`);
  t.same(setCookiePair('JSESSIONID=abc; Path=/; HttpOnly'), ['JSESSIONID', 'abc']);
  t.equal(setCookiePair('garbage'), undefined);
  t.equal(pathParameter('/app;jsessionid=XYZ?x=1', 'JSESSIONID'), 'XYZ');
  t.equal(pathParameter('/app;JSESSIONID=XYZ/more', 'jsessionid'), 'XYZ');
  t.equal(pathParameter('/app?jsessionid=XYZ', 'jsessionid'), undefined);
  t.equal(pathParameter('/app;jsessionid=', 'jsessionid'), undefined);
  const tok = serverToken('secret', 'pool', 'web-1');
  t.equal(tok, serverToken('secret', 'pool', 'web-1'), 'stable token');
  t.not(tok, serverToken('other-secret', 'pool', 'web-1'), 'depends on the secret');
  t.notMatch(tok, /web-1/, 'opaque');
});

t.test('router: rules in order, host without port, bad pool names refused', async (t) => {
  const r = new Router([{ host: 'a.example', pathPrefix: '/x', pool: 'p1' }, { pathRegex: '^/img/', pool: 'p2' }], 'p0', new Set(['p0', 'p1', 'p2']));
  t.equal(r.route('A.example:80', '/x/1'), 'p1');
  t.equal(r.route('b.example', '/x/1'), 'p0');
  t.equal(r.route(undefined, '/img/a.png'), 'p2');
  t.equal(hostOnly('[::1]:8080'), '[::1]');
  t.equal(hostOnly(undefined), '');
  t.throws(() => new Router([{ pool: 'nope' }], 'p0', new Set(['p0'])), { code: 'ERR_L7_NO_SUCH_POOL' });
});

t.test('backup servers serve only while no other server can; the first backup up takes everything', async (t) => {
  for (const kind of ['round-robin', 'weighted-round-robin', 'least-connections'] as const) {
    // Servers 0 and 1 are the pool's own, 2 and 3 its backups.
    const p = createPolicy({ kind }, ['a', 'b', 'c', 'd'], [1, 1, 1, 1], new Int32Array(4), [false, false, true, true]);
    t.same([...new Set(picks(p, 8))].sort(), [0, 1], `${kind}: the backups idle while the others are up`);
    p.onDown(0);
    t.same([...new Set(picks(p, 4))], [1], `${kind}: one server left, still no backup`);
    p.onDown(1);
    t.same(picks(p, 4), [2, 2, 2, 2], `${kind}: none left: the first backup takes everything`);
    p.onDown(2);
    t.same(picks(p, 2), [3, 3], `${kind}: then the next backup`);
    p.onDown(3);
    t.equal(p.pick({ key: '' }), -1, `${kind}: nothing up at all: -1`);
    p.onUp(1);
    t.same(picks(p, 3), [1, 1, 1], `${kind}: a server back: the backups idle again`);
    p.onWeight(1, 0);
    p.onUp(3);
    t.same(picks(p, 2), [3, 3], `${kind}: a drained server counts as unable (weight 0)`);
  }
  const h = createPolicy({ kind: 'hash', on: 'url' }, ['a', 'b', 'c'], [1, 1, 1], new Int32Array(3), [false, false, true]);
  t.same([...new Set(picks(h, 200))].sort(), [0, 1], 'hash: keys spread over the two, none to the backup');
  h.onDown(0);
  h.onDown(1);
  t.same([...new Set(picks(h, 50))], [2], 'hash: both down: every key to the backup');
});
