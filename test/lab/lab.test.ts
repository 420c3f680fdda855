// A real lab (root): hosts reach each other over the bridge, the VIP on an LB node's loopback
// answers neither ARP nor NDP, a node does answer VIP traffic steered to its MAC, processes in
// namespaces stop for sure, and `down` leaves nothing behind (root namespace untouched).
import t from 'tap';
import { arrayTopology, attachLab, labDown, labUp, listLabs, newPrefix, type Lab } from '../../engine/lab/index.js';
import { listNamespaces, runCommand } from '../../engine/lab/netns.js';

const rootLinks = async (): Promise<string> => (await runCommand(['ip', '-o', 'link', 'show'])).stdout.replace(/\s+\\.*$/gm, '');
const ping = (lab: Lab, from: string, to: string, extra: string[] = []) =>
  lab.exec(from, ['ping', '-n', '-q', '-c', '1', '-W', '2', ...extra, to]).then(() => true, () => false);

const rootBefore = await rootLinks();
const lab = await labUp(arrayTopology({ clients: 1, lbNodes: 2, backends: 1 }));
t.teardown(() => lab.down());

t.test('the lab is described: hosts with namespace, interface, MAC, addresses', async (t) => {
  t.match(lab.prefix, /^lb[a-z0-9]{4}-$/);
  t.same(lab.hosts.map((h) => h.name), ['lb1', 'lb2', 'be1', 'client1']);
  t.same(lab.lbNodes.map((h) => h.name), ['lb1', 'lb2']);
  t.same(lab.backends.map((h) => h.name), ['be1']);
  t.same(lab.clients.map((h) => h.name), ['client1']);
  const lb1 = lab.host('lb1');
  t.match(lb1, { ns: `${lab.prefix}lb1`, iface: 'eth0', mac: '02:1b:00:00:00:01', v4: '198.18.0.11', v6: '2001:2::11' });
  const seen = JSON.parse((await lab.exec('lb1', ['ip', '-j', 'addr', 'show', 'dev', 'eth0'])).stdout)[0];
  t.equal(seen.address, lb1.mac, 'the MAC the Lab reports is the one the interface has');
  t.ok(seen.addr_info.some((a: { local: string }) => a.local === lb1.v6), 'v6 address present');
  t.throws(() => lab.host('lb9'), { code: 'ERR_LAB_NO_SUCH_HOST' });
  const again = await attachLab(lab.prefix);
  t.same(again.hosts, lab.hosts, 'attachLab rebuilds the same description from the state file');
  t.match(JSON.parse(JSON.stringify(lab)), { prefix: lab.prefix, vip: lab.vip, switchNs: `${lab.prefix}switch`, hosts: [{ name: 'lb1', ns: lb1.ns }] }, 'serializes for lbarray lab up');
  t.ok((await listLabs()).some((l) => l.prefix === lab.prefix && l.ownerAlive && l.namespaces.length === 5));
});

t.test('every host pings every other host over the bridge, IPv4 and IPv6', async (t) => {
  const pairs = lab.hosts.flatMap((a) => lab.hosts.filter((b) => b !== a).flatMap((b) => [[a, b.v4!], [a, b.v6!]] as const));
  const results = await Promise.all(pairs.map(([from, to]) => ping(lab, from.name, to)));
  t.equal(results.filter(Boolean).length, pairs.length, `${pairs.length} pings answered`);
});

t.test('the VIP on an LB node\'s loopback answers neither ARP nor NDP', async (t) => {
  const vip = lab.requireVip();
  const [v4, v6] = await Promise.all([ping(lab, 'client1', vip.v4), ping(lab, 'client1', vip.v6)]);
  t.notOk(v4, 'no IPv4 answer without a static neighbour');
  t.notOk(v6, 'no IPv6 answer without a static neighbour');
  for (const address of [vip.v4, vip.v6]) {
    const neigh = (await lab.exec('client1', ['ip', 'neigh', 'show', address])).stdout;
    t.notMatch(neigh, /lladdr/, `client1 learned no MAC for ${address}: ${neigh.trim()}`);
  }
  t.ok(await ping(lab, 'client1', lab.host('lb1').v4!), 'the same node answers ARP for its own address');
});

t.test('a node answers VIP traffic steered to its MAC, straight back to the client', async (t) => {
  const vip = lab.requireVip();
  for (const node of lab.lbNodes) {
    await lab.pinVip(node.mac);
    t.ok(await ping(lab, 'client1', vip.v4), `${node.name} answers the IPv4 VIP`);
    t.ok(await ping(lab, 'client1', vip.v6), `${node.name} answers the IPv6 VIP`);
    const neigh = (await lab.exec('client1', ['ip', 'neigh', 'show', vip.v4])).stdout;
    t.match(neigh, new RegExp(`lladdr ${node.mac} PERMANENT`));
  }
  // The last pinned node answered: its interface counters saw the pings come and go.
  const last = lab.lbNodes.at(-1)!.name;
  const before = await lab.linkStats(last);
  t.ok(await ping(lab, 'client1', vip.v4));
  const after = await lab.linkStats(last, 'eth0');
  t.ok(after.rx.packets > before.rx.packets && after.tx.packets > before.tx.packets, 'linkStats counts what crossed the interface');
  t.ok(after.rx.bytes > before.rx.bytes);
});

t.test('a process in a namespace: output awaited, stopped for sure', async (t) => {
  const p = lab.spawn('be1', ['sh', '-c', 'trap "" TERM; echo ready; exec sleep 30']);
  await p.waitFor(/ready/);
  const status = await p.stop(300);
  t.equal(status.signal, 'SIGKILL', 'a process that ignores SIGTERM is killed');
  const q = lab.spawn('be1', ['sh', '-c', 'exit 3']);
  await t.rejects(q.waitFor(/never/), { code: 'ERR_LAB_PROCESS_EXITED' });
  t.same(await q.stop(), { code: 3, signal: null });
  const r = lab.spawn('be1', ['sleep', '30'], { cpus: [0] });
  await t.rejects(r.waitFor(/never/, 50), { code: 'ERR_LAB_TIMEOUT' });
  t.equal((await r.stop()).signal, 'SIGTERM');
  await t.rejects(lab.exec('be1', ['false']), { code: 'ERR_LAB_COMMAND_FAILED' });
});

t.test('a second lab with the same prefix is refused without harming the first', async (t) => {
  await t.rejects(labUp(arrayTopology(), { prefix: lab.prefix }), { code: 'ERR_LAB_PREFIX_IN_USE' });
  t.ok(await ping(lab, 'client1', lab.host('be1').v4!), 'the first lab still works');
  await t.rejects(labDown('lb'), { code: 'ERR_LAB_BAD_PREFIX' }, 'a loose prefix that could match other labs is refused');
});

t.test('down removes every namespace and process; the root namespace is untouched', async (t) => {
  const sleeper = lab.spawn('lb2', ['sleep', '60']);
  const removed = await lab.down();
  t.equal(removed.length, 5);
  t.notOk((await listNamespaces()).some((n) => n.startsWith(lab.prefix)), 'no namespace with the prefix is left');
  t.equal((await sleeper.exited).signal, 'SIGKILL', 'the process inside was killed');
  t.equal(await rootLinks(), rootBefore, 'root namespace links are the same as before the lab');
  await t.rejects(attachLab(lab.prefix), { code: 'ERR_LAB_NOT_FOUND' }, 'state file removed');
  t.same(await lab.down(), [], 'a second down is a no-op');
});

t.test('a lab that fails half-way removes what it made', async (t) => {
  const broken = arrayTopology({ lbNodes: 1, backends: 0 });
  broken.hosts[0]!.routes = ['198.18.5.0/24 via 198.18.9.9']; // a gateway that is not on-link
  const prefix = newPrefix();
  await t.rejects(labUp(broken, { prefix }), { code: 'ERR_LAB_COMMAND_FAILED' });
  t.same((await listNamespaces()).filter((n) => n.startsWith(prefix)), [], 'no namespace left');
  await t.rejects(attachLab(prefix), { code: 'ERR_LAB_NOT_FOUND' }, 'no state file left');
});

t.test('netem on a link, or a clear refusal where the kernel lacks it', async (t) => {
  const prefix = newPrefix();
  try {
    const l = await labUp(arrayTopology({ lbNodes: 1, backends: 0, links: { lb1: { netem: 'delay 1ms' } } }), { prefix });
    t.teardown(() => l.down());
    t.match((await l.exec('lb1', ['tc', 'qdisc', 'show', 'dev', 'eth0'])).stdout, /netem/);
  } catch (e) {
    t.equal((e as { code?: string }).code, 'ERR_LAB_NETEM_UNAVAILABLE');
    t.same((await listNamespaces()).filter((n) => n.startsWith(prefix)), [], 'no namespace left');
  }
});
