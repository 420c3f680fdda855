// The scheduler role refuses, in one sentence with a stable code, to activate on an interface this
// host does not have, and changes nothing on the host when it does (no nftables rule, no veth:
// this test runs in the root namespace, so any change would show here).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { createMetrics } from '../../engine/admin/metrics.js';
import { loadConfig, nodeById } from '../../engine/config/index.js';
import { SchedulerPart } from '../../engine/daemon/scheduler-part.js';
import { configureLogging, logger } from '../../engine/log.js';

configureLogging({ level: 'silent' });

t.test('activation on a missing interface is refused with ERR_NO_SUCH_INTERFACE', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lbarray-role-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'array.yaml');
  fs.writeFileSync(file, `vip: { ipv4: 198.19.0.1 }
services: [{ name: web, port: 80 }]
nodes:
  - { id: lb1, interface: lbnosuch0, ipv4: 198.18.0.11 }
  - { id: lb2, interface: lbnosuch0, ipv4: 198.18.0.12 }
pools: { app: { servers: [{ address: 198.18.0.101, port: 8080 }] } }
routes: [{ pool: app }]
`);
  const config = loadConfig(file);
  const part = new SchedulerPart();
  await part.start({ config, node: nodeById(config, 'lb1'), metrics: createMetrics(), log: logger('scheduler') });
  t.teardown(() => part.stop());
  await t.rejects(part.activate(), { name: 'LbError', code: 'ERR_NO_SUCH_INTERFACE', message: /node lb1 uses interface lbnosuch0, which does not exist here/ });
  t.equal(part.active, false, 'not active');
  t.notOk(fs.existsSync('/sys/class/net/lbsd0'), 'no self-delivery veth was made');
  t.same(part.health(), { ok: true }, 'the part itself stays healthy (the election hears of the failure)');
  part.setNodesUp(new Set(['lb2']));
  // What the daemon hands each part: a fresh status that knows only the config.
  const statusNow = async () => {
    const s = { node: 'lb1', role: 'node' as const, scheduler: null, draining: false, uptimeSeconds: 0,
      nodes: config.nodes.map((n) => ({ id: n.id, up: true, weight: 1, draining: false })), backends: [], counters: {} };
    await part.status(s);
    return s;
  };
  const status = await statusNow();
  t.same(status.nodes.map((n) => n.up), [false, true], 'the health view it was given shows in status');
  t.equal(status.role, 'node', 'an inactive role does not claim to be the scheduler');
  // A peer's drain notice (POST /drain { node }) shows in status: that node takes no new flows here.
  await part.drainPeer('lb2', true);
  t.same((await statusNow()).nodes.map((n) => n.draining), [false, true], 'a peer that drains shows as draining');
  await part.drainPeer('lb2', false);
  t.same((await statusNow()).nodes.map((n) => n.draining), [false, false], 'and no longer once it takes flows again');
});
