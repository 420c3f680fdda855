// `lbarray lab up|down` through the real CLI: a persistent lab for the config's nodes, removed
// by its prefix (needs root, like every lab test).
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import t from 'tap';
import { missingCapabilities } from '../../engine/cli/preflight.js';
import { labDown } from '../../engine/lab/index.js';
import { examples, lbarray } from './fixtures/run-cli.js';

const namespaces = () => execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').map((l) => l.split(' ')[0]);

t.test('lab up builds the array of lab.yaml; lab down PREFIX removes all of it', async (t) => {
  if (missingCapabilities(['CAP_NET_ADMIN', 'CAP_SYS_ADMIN']).length > 0) { t.skip('needs root'); return; }
  const up = await lbarray(['lab', 'up', '--json', '-c', path.join(examples, 'lab.yaml'), '--backends', '2']);
  t.equal(up.code, 0, up.stderr);
  const lab = JSON.parse(up.stdout) as { prefix: string; vip: { v4: string; v6: string }; hosts: Array<{ name: string; ns: string; role: string }> };
  t.teardown(() => labDown(lab.prefix).catch(() => undefined));
  t.same(lab.vip, { v4: '198.19.0.1', v6: '2001:2:0:100::1' }, 'the config\'s VIP');
  t.same(lab.hosts.map((h) => h.name).sort(), ['be1', 'be2', 'client1', 'lb1', 'lb2', 'lb3']);
  t.equal(up.stderr, '', 'the config\'s node addresses match the lab plan');
  const present = namespaces();
  for (const h of lab.hosts) t.ok(present.includes(h.ns), `${h.ns} exists`);

  const down = await lbarray(['lab', 'down', lab.prefix]);
  t.equal(down.code, 0, down.stderr);
  t.match(down.stdout, `lab ${lab.prefix} removed`);
  t.notOk(namespaces().some((n) => n.startsWith(lab.prefix)), 'nothing left');
});

t.test('lab up refuses a config without both VIP families, before making anything', async (t) => {
  if (missingCapabilities(['CAP_NET_ADMIN', 'CAP_SYS_ADMIN']).length > 0) { t.skip('needs root'); return; }
  const before = namespaces().length;
  const r = await lbarray(['lab', 'up', '-c', path.join(examples, 'minimal.yaml')]);
  t.equal(r.code, 1);
  t.equal(r.stderr, 'lbarray: the lab needs a config with both an IPv4 and an IPv6 VIP (see examples/lab.yaml).\n');
  t.equal(namespaces().length, before);
});

t.test('lab down of a prefix that is not a lab prefix is one sentence', async (t) => {
  if (missingCapabilities(['CAP_NET_ADMIN', 'CAP_SYS_ADMIN']).length > 0) { t.skip('needs root'); return; }
  const r = await lbarray(['lab', 'down', 'x']);
  t.equal(r.code, 1);
  t.match(r.stderr, /^lbarray: Lab prefix "x" must look like/);
});
