// The VIP guard (engine/daemon/vip-guard.ts) is the same rule on every node whatever its role:
// the kernel takes frames for the VIP only from the array's nodes (a scheduler forwarding, a
// health probe); a client's frame straight to the VIP is dropped before IP, yet a ring on the
// interface still sees it (that is how the scheduler forwards it). Real nftables in a namespace.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { guardRuleset } from '../../engine/daemon/vip-guard.js';
import { childEnv, privateNetns, vethPair } from '../addon/fixtures/netns.js';

t.test('the ruleset spares the nodes\' MACs, and drops every VIP frame while none is known', async (t) => {
  const r = guardRuleset('eth0', ['198.18.0.250', '2001:2::250'], ['02:00:00:00:00:01', '02:00:00:00:00:02']);
  t.match(r, /ether saddr != \{ 02:00:00:00:00:01, 02:00:00:00:00:02 \} ip daddr 198\.18\.0\.250 counter drop/);
  t.match(r, /ether saddr != \{ 02:00:00:00:00:01, 02:00:00:00:00:02 \} ip6 daddr 2001:2::250 counter drop/);
  t.match(r, /hook ingress device "eth0"/);
  t.match(guardRuleset('eth0', ['198.18.0.250'], []), /\n {4}ip daddr 198\.18\.0\.250 counter drop/);
});

t.test('in a namespace: client frames to the VIP are dropped, node frames pass, the ring sees all', async (t) => {
  const ns = privateNetns(t, 'guard');
  vethPair(ns, 'va', 'vb');
  const script = fileURLToPath(new URL('./fixtures/vip-guard-check.ts', import.meta.url));
  const out = execFileSync('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', script], { encoding: 'utf8', env: childEnv() });
  const r = JSON.parse(out.trim().split('\n').pop()!);
  t.same(r.withNodes, { dropped: 10, tapped: 30 }, 'only the 10 client frames to the VIP dropped; the ring saw all 30');
  t.same(r.noneKnown, { dropped: 20, tapped: 30 }, 'with no node MAC known yet, every frame to the VIP is dropped');
  t.equal(r.tableLeft, false, 'unguardVip removes the table');
});
