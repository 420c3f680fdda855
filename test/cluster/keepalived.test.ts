// Interop with keepalived (Debian package): a keepalived VRRPv3 instance with the same VRID on
// lb2 and lbarray's ClusterPart on lb1 elect one master between them, the higher priority, and
// each takes over when the other is killed. keepalived's state comes from its notify script.
// keepalived as master drops adverts whose address list differs from its own ("ip address
// associated with VRID not present in MASTER advert"), so both sides advertise one address,
// 198.18.0.250 (a lab address, not the array's VIP): lbarray's config names it as its VIP, and lb1
// holds it on lo with a listener (lbarray's own health check); keepalived puts it on lb2's eth0.
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import type { NsProcess } from '../../engine/lab/index.js';
import { clusterLab, now, sleep, waitEvent } from './fixtures/array.js';

const cl = await clusterLab(2);
t.teardown(() => cl.close());
const SHARED = '198.18.0.250';
await cl.lab.exec('lb1', ['ip', 'addr', 'add', `${SHARED}/32`, 'dev', 'lo']);
await cl.listen('lb1', SHARED);
const config = cl.writeConfig('interop', [150, 100], { preempt: true }, {}, SHARED);
const stateFile = path.join(cl.dir, 'keepalived.state');
const notify = path.join(cl.dir, 'notify.sh');
fs.writeFileSync(notify, `#!/bin/sh\necho "$3" >> ${stateFile}\n`, { mode: 0o700 });

// A keepalived instance of priority `priority` on lb2.
function keepalived(priority: number): NsProcess {
  const conf = path.join(cl.dir, `keepalived-${priority}.conf`);
  fs.writeFileSync(conf, `global_defs {
  router_id lbarray-interop
  vrrp_version 3
  script_user root
}
vrrp_instance interop {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority ${priority}
  advert_int 0.1
  virtual_ipaddress {
    ${SHARED}/32
  }
  notify ${notify}
}
`);
  const pid = (n: string) => path.join(cl.dir, `${n}-${priority}.pid`);
  return cl.lab.spawn('lb2', ['keepalived', '-n', '-l', '-D', '-P', '-f', conf, '-p', pid('main'), '-r', pid('vrrp'), '-c', pid('checkers')]);
}

function keepalivedState(): string {
  const lines = fs.existsSync(stateFile) ? fs.readFileSync(stateFile, 'utf8').trim().split('\n') : [];
  return lines.at(-1) ?? '';
}

async function waitState(want: string, timeoutMs = 5000): Promise<number> {
  const until = Date.now() + timeoutMs;
  while (keepalivedState() !== want) {
    if (Date.now() > until) throw new Error(`keepalived stayed ${keepalivedState() || 'silent'}, not ${want}`);
    await sleep(10);
  }
  return now();
}

const isActivate = (e: { event: string }) => e.event === 'activate';

t.test('lbarray (150) beats keepalived (120); killed, keepalived takes over; back, it reclaims', async (t) => {
  const ka = keepalived(120);
  await waitState('MASTER');
  t.pass('keepalived alone becomes master');
  let at = now();
  let lb1 = await cl.start('lb1', config);
  await waitEvent(lb1, isActivate, at, 5000);
  await waitState('BACKUP', 2000).catch((e) => { t.comment(ka.output.slice(-2000)); throw e; });
  t.pass('lbarray became master and keepalived went BACKUP');
  await sleep(500);
  t.equal(keepalivedState(), 'BACKUP', 'and stays BACKUP');

  at = now();
  process.kill(-lb1.pid, 'SIGKILL');
  await lb1.exited;
  const took = await waitState('MASTER', 3000);
  t.ok(took - at < 1000, `keepalived took over ${Math.round(took - at)} ms after lbarray was killed`);

  at = now();
  lb1 = await cl.start('lb1', config);
  await waitEvent(lb1, isActivate, at, 5000);
  await waitState('BACKUP', 2000);
  t.pass('lbarray came back and reclaimed the role (preemption); keepalived BACKUP');
  await lb1.stop(1000);
  await ka.stop(1000);
});

t.test('keepalived (200) beats lbarray (150); killed, lbarray takes over', async (t) => {
  fs.rmSync(stateFile, { force: true });
  const lb1 = await cl.start('lb1', config);
  await waitEvent(lb1, isActivate, 0, 5000);
  let at = now();
  const ka = keepalived(200);
  await waitState('MASTER', 5000);
  await waitEvent(lb1, (e) => e.event === 'deactivate', at, 2000);
  t.pass('keepalived (200) preempted lbarray, which deactivated');
  await sleep(500);
  t.equal(keepalivedState(), 'MASTER', 'keepalived stays master');

  at = now();
  process.kill(-ka.pid, 'SIGKILL');
  const e = await waitEvent(lb1, isActivate, at, 3000);
  t.ok(e.t - at < 1000, `lbarray took over ${Math.round(e.t - at)} ms after keepalived was killed`);
  await ka.exited;
  await lb1.stop(1000);
});
