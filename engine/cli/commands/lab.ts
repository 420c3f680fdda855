// `lbarray lab up` builds the lab network (engine/lab) for the array a config describes: one
// client, the config's LB nodes (VIP on their loopback), the back-ends, one bridge; it stays up
// after the command (a persistent lab) and prints its prefix. `lbarray lab down [PREFIX]` removes
// it, also after a crash.
import { arrayTopology, labDown as removeLab, labUp as buildLab, listLabs } from '../../lab/index.js';
import type { Config } from '../../config/index.js';
import { LbError } from '../../errors.js';
import type { CliIo } from '../io.js';
import { renderTable } from '../table.js';

export interface LabOptions {
  config: Config;
  io: CliIo;
  clients?: number;
  backends?: number;
  json?: boolean;
  /** Where lab state files live (tests). */
  stateDir?: string;
}

/** The config's node addresses that differ from the lab's plan (daemons would not find each other). */
function mismatches(config: Config, hosts: Array<{ name: string; role: string; v4?: string; v6?: string }>): string[] {
  const lbs = hosts.filter((h) => h.role === 'lb');
  return config.nodes.flatMap((n, i) => {
    const h = lbs[i];
    const v4 = h?.v4?.split('/')[0];
    const v6 = h?.v6?.split('/')[0];
    return (n.ipv4 && n.ipv4 !== v4) || (n.ipv6 && n.ipv6 !== v6)
      ? [`node ${n.id} has ${[n.ipv4, n.ipv6].filter(Boolean).join(', ')} but lab host ${h?.name} has ${[v4, v6].filter(Boolean).join(', ')}`] : [];
  });
}

export async function labUp(opts: LabOptions): Promise<number> {
  const { config, io } = opts;
  if (!config.vip.ipv4 || !config.vip.ipv6) {
    throw new LbError('ERR_LAB_NEEDS_VIP', 'the lab needs a config with both an IPv4 and an IPv6 VIP (see examples/lab.yaml).');
  }
  const spec = arrayTopology({
    clients: opts.clients ?? 1,
    lbNodes: config.nodes.length,
    backends: opts.backends ?? 3,
    vip: { v4: config.vip.ipv4, v6: config.vip.ipv6 },
  });
  const lab = await buildLab(spec, { persistent: true, stateDir: opts.stateDir });
  if (opts.json) {
    io.out(`${JSON.stringify(lab.toJSON(), null, 2)}\n`);
  } else {
    io.out(`lab ${lab.prefix} is up: VIP ${config.vip.ipv4}, ${config.vip.ipv6}\n\n`);
    io.out(renderTable(['HOST', 'ROLE', 'NAMESPACE', 'MAC', 'IPV4', 'IPV6'], lab.hosts.map((h) => [
      h.name, h.role, h.ns, h.mac, h.v4 ?? '-', h.v6 ?? '-',
    ]), ''));
    io.out(`\nrun a command in a host: ip netns exec ${lab.hosts[0]?.ns ?? ''} ...\nremove it: lbarray lab down ${lab.prefix}\n`);
  }
  for (const m of mismatches(config, lab.hosts)) io.err(`warning: ${m}\n`);
  return 0;
}

export async function labDown(opts: { io: CliIo; prefix?: string; stateDir?: string }): Promise<number> {
  const { io } = opts;
  let prefix = opts.prefix;
  if (!prefix) {
    // Without a prefix, only a lab that `lab up` made (persistent) is a safe guess; labs of
    // running tests and demos belong to their owners.
    const made = (await listLabs({ stateDir: opts.stateDir })).filter((l) => l.ownerPid === 0);
    if (made.length === 0) { io.out('no lab made by lbarray lab up is running.\n'); return 0; }
    if (made.length > 1) {
      throw new LbError('ERR_LAB_WHICH', `several labs are up (${made.map((l) => l.prefix).join(', ')}): name one, e.g. lbarray lab down ${made[0]!.prefix}`);
    }
    prefix = made[0]!.prefix;
  }
  const removed = await removeLab(prefix, { stateDir: opts.stateDir });
  io.out(removed.length > 0 ? `lab ${prefix} removed (${removed.length} namespaces).\n` : `lab ${prefix}: nothing left to remove.\n`);
  return 0;
}
