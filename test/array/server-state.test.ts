// An operator takes a back-end out for maintenance with `lbarray server`, on every node of a
// running array, without editing the config: new requests avoid it on every node, `/status` and
// lbarray_backend_admin_state say so, a reload keeps it out, and `ready` brings it back. The
// requests the reload's old workers served still reach lbarray_requests_total.
// Then, on the same array, persistence sync: a session learnt on one node keeps its server on
// every node, and on a node started later (server states make the other server the one a node
// that did not know the session would pick).
import t from 'tap';
import { HashGroupTable } from '../../engine/l7/persistence/hash-groups.js';
import { startArray } from './fixtures/array-lab.js';

// One array for both tests (CI time): each leaves every server ready.
const a = await startArray(t);

t.test('lbarray server POOL SERVER maint|ready acts on every node and survives a reload', async (t) => {
  const vip = a.lab.requireVip().v4;
  const be2 = `${a.lab.host('be2').v4!.split('/')[0]}:8080`;
  const fresh = async () => (await a.client(['fresh', vip, '80', '60'])).find((l) => l.phase === 'fresh') as
    { byPeer: Record<string, number>; byBackend: Record<string, number>; failures: string[] };

  const metrics = async (id: string) => (await a.lab.exec(a.lab.clients[0]!.name, ['curl', '-s', '--max-time', '5', `http://${a.address[id]}:9180/metrics`])).stdout;
  const series = (text: string, name: string, labels: string, id: string) =>
    new RegExp(`^${name}\\{${labels}[^}]*node="${id}"[^}]*\\} (\\d)$`, 'm').exec(text)?.[1];
  const be1 = `${a.lab.host('be1').v4!.split('/')[0]}:8080`;
  const atStart = await metrics('lb1');
  t.equal(series(atStart, 'lbarray_backend_admin_state', `pool="app",server="${be1}",state="ready"`, 'lb1'), '1', 'from start, every server has its state series (ready)');
  t.equal(series(atStart, 'lbarray_backend_up', `pool="app",server="${be1}"`, 'lb1'), '1', 'and its health series (up)');

  const before = await fresh();
  t.ok((before.byBackend.be2 ?? 0) > 0, `be2 serves at first (${JSON.stringify(before.byBackend)})`);

  const maint = await a.cli(['server', 'app', be2, 'maint']);
  t.equal(maint.code, 0, `lbarray server … maint exits 0: ${maint.output}`);
  for (const id of ['lb1', 'lb2', 'lb3']) t.match(maint.output, `node ${id}: app ${be2} in maintenance`);
  const during = await fresh();
  t.same(during.failures, [], 'no request failed');
  t.same(during.byBackend, { be1: 60 }, 'every request went to be1');
  t.equal(Object.keys(during.byPeer).length, 3, 'on all three nodes');
  for (const id of ['lb1', 'lb2', 'lb3']) {
    const b = (await a.status(id)).backends.find((x) => `${x.address}:${x.port}` === be2);
    t.match(b, { up: true, state: 'maint' }, `${id}'s status: be2 healthy, in maintenance`);
    const text = await metrics(id);
    const state = (st: string) => series(text, 'lbarray_backend_admin_state', `pool="app",server="${be2}",state="${st}"`, id);
    t.same(['ready', 'drain', 'maint'].map(state), ['0', '0', '1'], `${id}'s lbarray_backend_admin_state: be2 in maint, and in no other state`);
  }

  for (const id of ['lb1', 'lb2', 'lb3']) {
    const { stdout } = await a.lab.exec(a.lab.clients[0]!.name, ['curl', '-s', '-X', 'POST', '--max-time', '20', `http://${a.address[id]}:9180/reload`]);
    t.same(JSON.parse(stdout), { ok: true }, `${id} reloaded`);
  }
  t.same((await fresh()).byBackend, { be1: 60 }, 'after a reload be2 is still in maintenance');
  t.equal(series(await metrics('lb2'), 'lbarray_backend_admin_state', `pool="app",server="${be2}",state="maint"`, 'lb2'), '1', 'and its metric says so');

  const unknown = await a.cli(['server', 'app', '198.18.99.99:8080', 'drain', '--node', 'lb2']);
  t.equal(unknown.code, 1, 'an unknown server: exit 1');
  t.match(unknown.output, 'node lb2 answered 404: there is no server "198.18.99.99:8080" in pool "app"');

  const ready = await a.cli(['server', 'app', be2, 'ready']);
  t.equal(ready.code, 0, ready.output);
  const after = await fresh();
  t.same(after.failures, []);
  t.ok((after.byBackend.be2 ?? 0) >= 20, `ready: be2 serves again (${JSON.stringify(after.byBackend)})`);

  // Every request is counted once by the node that served it, those served by the workers the reload replaced too.
  let counted = 0;
  for (const id of ['lb1', 'lb2', 'lb3']) {
    const { stdout } = await a.lab.exec(a.lab.clients[0]!.name, ['curl', '-s', '--max-time', '5', `http://${a.address[id]}:9180/metrics`]);
    for (const m of stdout.matchAll(/^lbarray_requests_total\{pool="app",status="200"[^}]*\} (\d+)$/gm)) counted += Number(m[1]);
  }
  t.equal(counted, 4 * 60, 'lbarray_requests_total over the three nodes: the 240 requests sent');
});

t.test('a session learnt on one node keeps its server on every node, and on a node started later', async (t) => {
  const vip = a.lab.requireVip().v4;
  const [be1, be2] = ['be1', 'be2'].map((h) => `${a.lab.host(h).v4!.split('/')[0]}:8080`) as [string, string];
  type Visit = { session: string; peer: string; backend: string };
  const sessions = async (args: string[]) => ((await a.client(['sessions', vip, '80', ...args])).find((l) => l.phase === 'sessions') as { results: Visit[] }).results;
  // As `lbarray server sessions ADDRESS STATE` (tested above) does, without starting the CLI each time.
  const server = async (address: string, state: string, nodes = ['lb1', 'lb2', 'lb3']) => {
    for (const id of nodes) {
      const { stdout } = await a.lab.exec(a.lab.clients[0]!.name, ['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '5', '-X', 'POST',
        '-H', 'content-type: application/json', '-d', JSON.stringify({ pool: 'sessions', server: address, state }), `http://${a.address[id]}:9180/server`]);
      t.equal(stdout, '200', `${id}: sessions ${address} ${state}`);
    }
  };
  // Sessions start while be2 takes no new client: all on be1.
  await server(be2, 'drain');
  const learnt = await sessions(['8']);
  t.same(learnt.map((r) => r.backend), Array(8).fill('be1'), '8 sessions started, on be1');
  const cookies = learnt.map((r) => `JSESSIONID=${r.session}`);
  const learntBy = new Map(learnt.map((r) => [r.session, r.peer]));
  t.ok(learntBy.size === 8 && learnt.every((r) => r.session !== undefined), 'each with its own session id');
  // The hash groups the sessions fill: every node has them once the sync has carried them.
  const groups = new Set(learnt.map((r) => HashGroupTable.create(4096).groupOf(r.session))).size;
  const tableOf = async (id: string) => {
    for (const until = Date.now() + 20_000; ;) {
      const filled = (await a.status(id)).counters['persistence.groups.sessions'];
      if (filled === groups) return filled;
      if (Date.now() > until) return filled;
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  for (const id of ['lb1', 'lb2', 'lb3']) t.equal(await tableOf(id), groups, `${id} holds the ${groups} groups of the 8 sessions`);

  // Now be1 takes no new client: a node that did not know a session would send it to be2.
  await server(be1, 'drain');
  await server(be2, 'ready');
  const visits = await sessions(['3', ...cookies]);
  t.same(visits.filter((v) => v.backend !== 'be1'), [], '24 requests with the session cookies: all reached be1, their server');
  const elsewhere = visits.filter((v) => v.peer !== learntBy.get(v.session)).length;
  t.ok(elsewhere >= 4, `${elsewhere} of 24 reached another node than the one that learnt the session`);

  // lb3 restarts: an empty table, and its server states from the config (be1 ready), set as on the others.
  t.same(await a.nodes.lb3!.stop(15_000), { code: 0, signal: null }, 'lb3 stopped');
  await a.restart('lb3').waitFor(/node started/, 30_000);
  await server(be1, 'drain', ['lb3']);
  t.equal(await tableOf('lb3'), groups, 'the restarted lb3 got the table from its peers');
  await a.waitNodeSeen('lb3', true, 20_000);
  const again = await sessions(['3', ...cookies]);
  t.same(again.filter((v) => v.backend !== 'be1'), [], 'after the restart: 24 requests, all on be1');
  t.ok(again.some((v) => v.peer === a.address.lb3), `lb3 served some (${again.filter((v) => v.peer === a.address.lb3).length})`);
  const sync = Object.fromEntries(Object.entries((await a.status('lb3')).counters).filter(([k]) => k.startsWith('persistenceSync.')));
  t.ok(sync['persistenceSync.cells']! >= groups && sync['persistenceSync.rejected'] === 0 && sync['persistenceSync.ignored'] === 0,
    `lb3 counted the cells it stored (a dump from each peer) and refused none (${JSON.stringify(sync)})`);
  await server(be1, 'ready');
});
