// Persistence sync over real UDP sockets on loopback (three "nodes" on 127.0.0.1-3): cells a
// node's workers write into its shared table reach the other nodes' tables, a node started later
// gets them as a dump, nothing received is echoed back, and a pool that differs, a stranger and a
// malformed datagram are counted and change nothing.
import dgram from 'node:dgram';
import t from 'tap';
import { validateConfig } from '../../engine/config/load.js';
import { restartRequired } from '../../engine/daemon/config-store.js';
import { PersistenceSync, type PoolTable } from '../../engine/daemon/persistence-sync.js';
import { encodeCells, poolFingerprint } from '../../engine/l7/persistence/table-sync-wire.js';
import { configureLogging, logger } from '../../engine/log.js';
import { freePort, until } from './fixtures/udp.js';

configureLogging({ level: 'silent' });
const ADDRESSES = ['127.0.0.1', '127.0.0.2', '127.0.0.3'];
const SERVERS = ['10.0.0.1:80', '10.0.0.2:80', '10.0.0.3:80'];

const table = (pool = 'app', serverIds = SERVERS): PoolTable => ({ pool, serverIds, cells: new Int32Array(new SharedArrayBuffer(1024 * 4)) });

t.test('cells learnt on one node reach the others, a later node gets a dump, nothing is echoed', async (t) => {
  const port = await freePort();
  const open = async (i: number, tables: PoolTable[]) => {
    const s = await PersistenceSync.open({ peers: ADDRESSES.map((a, j) => (j === i ? undefined : a)), address: ADDRESSES[i]!, port, v6: false, intervalMs: 20, log: logger('persistence-sync') });
    t.teardown(() => s.close());
    s.track(tables);
    return s;
  };
  const [ta, tb] = [table(), table()];
  const a = await open(0, [ta]);
  const b = await open(1, [tb]);

  // a's workers learn two sessions: servers 2 and 0 (cells hold index + 1).
  Atomics.store(ta.cells, 17, 3);
  Atomics.store(ta.cells, 900, 1);
  await until('b has both cells', () => tb.cells[17] === 3 && tb.cells[900] === 1);
  t.ok(b.counters.cells >= 2, `b counted the cells it stored (${b.counters.cells}: a's dump may have carried them too)`);
  const sentByB = b.counters.sent;
  await new Promise((r) => setTimeout(r, 100)); // five flush intervals
  t.equal(b.counters.sent, sentByB, 'b sends nothing back: what it received is in its shadow');

  // b learns one too (last writer wins on a's side).
  Atomics.store(tb.cells, 17, 2);
  await until('a has b\'s cell', () => ta.cells[17] === 2);

  // c starts later: it asks for a dump and gets every filled cell.
  const served = [a.counters.dumpsServed, b.counters.dumpsServed];
  const tc = table();
  const c = await open(2, [tc]);
  await until('c has the table', () => tc.cells[17] === 2 && tc.cells[900] === 1);
  await until('both peers answered c\'s dump request', () => a.counters.dumpsServed === served[0]! + 1 && b.counters.dumpsServed === served[1]! + 1);
  t.same(c.counters.rejected + c.counters.ignored, 0, 'c refused nothing');

  // A reload that keeps the table asks for nothing; one that changes the pool asks again.
  const dumps = a.counters.dumpsServed;
  c.track([tc]);
  const next = table('app', [SERVERS[1]!, SERVERS[0]!, SERVERS[2]!]);
  b.track([next]);
  await until('a answered b\'s new table', () => a.counters.dumpsServed === dumps + 1);
  t.equal(c.counters.dumpsServed, 1, 'c was asked once more (by b), not by its own unchanged reload');
  await new Promise((r) => setTimeout(r, 100));
  t.same([...next.cells].filter((v) => v !== 0), [], 'cells of the old server order do not enter b\'s reordered pool');
  t.ok(b.counters.ignored > 0, `they are counted as ignored (${b.counters.ignored})`);
});

t.test('strangers and malformed datagrams are counted and change nothing', async (t) => {
  const port = await freePort();
  const tb = table();
  const s = await PersistenceSync.open({ peers: [ADDRESSES[0], undefined], address: ADDRESSES[1]!, port, v6: false, intervalMs: 20, log: logger('persistence-sync') });
  t.teardown(() => s.close());
  s.track([tb]);
  const fingerprint = poolFingerprint('app', SERVERS, 1024);
  const from = async (address: string, datagrams: Buffer[]) => {
    const u = dgram.createSocket('udp4');
    await new Promise<void>((r) => u.bind(0, address, r));
    for (const d of datagrams) await new Promise((r) => u.send(d, port, ADDRESSES[1], r));
    u.close();
  };
  await from('127.0.0.9', encodeCells(fingerprint, [5, 1]));
  await from(ADDRESSES[0]!, [Buffer.from('not a datagram'), ...encodeCells(fingerprint, [6, 1, 7, 4]), ...encodeCells(fingerprint, [2048, 1])]);
  await until('all four counted', () => s.counters.foreign === 1 && s.counters.rejected === 3);
  t.same([...tb.cells].filter((v) => v !== 0), [], 'a stranger\'s cell, garbage, a server past the pool, a group past the table: none stored');
  await from(ADDRESSES[0]!, encodeCells(fingerprint, [5, 2]));
  await until('a peer\'s good cell is stored', () => tb.cells[5] === 2);
  await t.rejects(PersistenceSync.open({ peers: [], address: ADDRESSES[1]!, port, v6: false, intervalMs: 20, log: logger('persistence-sync') }),
    { code: 'ERR_PERSISTENCE_SYNC_BIND', message: /persistence\.sync\.port/ }, 'a port in use is named');
});

t.test('persistence.sync: on by default, every 100 ms on UDP 9182; a bad setting is named', async (t) => {
  const config = (sync: string) => validateConfig(`vip: { ipv4: 198.19.0.1 }
services: [{ name: web, port: 80 }]
nodes: [{ id: lb1, interface: eth0, ipv4: 198.18.0.11 }, { id: lb2, interface: eth0, ipv4: 198.18.0.12 }]
pools: { app: { persistence: session-id, servers: [{ address: 198.18.1.1, port: 80 }] } }
routes: [{ pool: app }]
persistence: { sync: ${sync} }
`);
  t.match(config('{}'), { ok: true, config: { persistence: { sync: { enabled: true, port: 9182, interval: 100 } } } });
  t.match(config('{ enabled: false, port: 9300, interval: 1s }'), { ok: true, config: { persistence: { sync: { enabled: false, port: 9300, interval: 1000 } } } });
  const [on, off] = [config('{}'), config('{ enabled: false }')];
  if (!on.ok || !off.ok) throw new Error('valid configs refused');
  t.same(restartRequired(on.config, off.config), ['persistence.sync'], 'a reload that changes it warns that it takes a restart (the socket is set up at start)');
  for (const [sync, path, message] of [
    ['{ enabled: yes }', 'persistence.sync.enabled', /expected true or false/],
    ['{ port: 70000 }', 'persistence.sync.port', /expected a number 1-65535/],
    ['{ interval: 1ms }', 'persistence.sync.interval', /expected/],
    ['{ peers: [] }', 'persistence.sync', /peers/],
  ] as const) t.match(config(sync), { ok: false, issues: [{ path, message }] }, `${sync}: ${path}`);
});
