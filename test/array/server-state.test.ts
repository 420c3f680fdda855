// An operator takes a back-end out for maintenance with `lbarray server`, on every node of a
// running array, without editing the config: new requests avoid it on every node, `/status` and
// lbarray_backend_admin_state say so, a reload keeps it out, and `ready` brings it back. The
// requests the reload's old workers served still reach lbarray_requests_total.
import t from 'tap';
import { startArray } from './fixtures/array-lab.js';

t.test('lbarray server POOL SERVER maint|ready acts on every node and survives a reload', async (t) => {
  const a = await startArray(t);
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
