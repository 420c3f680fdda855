// keepalived (Debian package) as the failover benchmark's baseline: one VRRPv3 instance per LB
// node of the lab, beside lbarray (another VRID and virtual address, so the two elections never
// meet), with lbarray's advert interval and priorities and no preemption. Its state comes from
// its notify script; the time that matters is seen on the wire (its gratuitous ARP).
import fs from 'node:fs';
import path from 'node:path';
import type { Lab, NsProcess } from '../engine/lab/index.js';
import { sleep } from './failover-array.js';

export interface KeepalivedOptions {
  vrid: number;
  /** The virtual address (a lab address, not the array's VIP). */
  address: string;
  advertIntervalMs: number;
  /** Per lab host: its priority. */
  priorities: Record<string, number>;
  iface: string;
}

/** keepalived.conf of one instance (pure). `notify` gets "INSTANCE|GROUP NAME STATE PRIORITY". */
export function keepalivedConfig(o: KeepalivedOptions, host: string, notify: string): string {
  return `global_defs {
  router_id lbarray-bench-${host}
  vrrp_version 3
  script_user root
}
vrrp_instance bench {
  state BACKUP
  nopreempt
  interface ${o.iface}
  virtual_router_id ${o.vrid}
  priority ${o.priorities[host]}
  advert_int ${o.advertIntervalMs / 1000}
  virtual_ipaddress {
    ${o.address}/32
  }
  notify ${notify}
}
`;
}

export class KeepalivedGroup {
  readonly processes = new Map<string, NsProcess>();
  private constructor(private readonly lab: Lab, private readonly o: KeepalivedOptions, private readonly dir: string) {}

  static async up(lab: Lab, o: KeepalivedOptions, dir: string): Promise<KeepalivedGroup> {
    const g = new KeepalivedGroup(lab, o, dir);
    for (const host of Object.keys(o.priorities)) g.start(host);
    return g;
  }

  private stateFile(host: string): string {
    return path.join(this.dir, `ka-${host}.state`);
  }

  /** States by host (MASTER, BACKUP, FAULT; '' before the first). */
  states(): Record<string, string> {
    return Object.fromEntries(Object.keys(this.o.priorities).map((h) => {
      const f = this.stateFile(h);
      return [h, fs.existsSync(f) ? fs.readFileSync(f, 'utf8').trim() : ''];
    }));
  }

  start(host: string): NsProcess {
    const conf = path.join(this.dir, `ka-${host}.conf`);
    const notify = path.join(this.dir, `ka-notify-${host}.sh`);
    fs.writeFileSync(notify, `#!/bin/sh\necho "$3" > ${this.stateFile(host)}\n`, { mode: 0o700 });
    fs.writeFileSync(conf, keepalivedConfig(this.o, host, notify));
    fs.rmSync(this.stateFile(host), { force: true });
    const pid = (n: string) => path.join(this.dir, `ka-${host}-${n}.pid`);
    // A SIGKILLed instance leaves its pid files: keepalived would say "daemon is already running".
    for (const n of ['main', 'vrrp', 'checkers']) fs.rmSync(pid(n), { force: true });
    const p = this.lab.spawn(host, ['keepalived', '-n', '-l', '-D', '-f', conf, '-p', pid('main'), '-r', pid('vrrp'), '-c', pid('checkers')]);
    this.processes.set(host, p);
    return p;
  }

  /** SIGKILL of the instance's process group; its address stays on the interface, so it is removed before a restart. */
  async kill(host: string): Promise<void> {
    const p = this.processes.get(host)!;
    process.kill(-p.pid, 'SIGKILL');
    await p.exited;
  }

  async restart(host: string): Promise<void> {
    await this.lab.exec(host, ['ip', 'addr', 'del', `${this.o.address}/32`, 'dev', this.o.iface]).catch(() => undefined);
    this.start(host);
  }

  /** Waits for one MASTER and every other instance BACKUP; resolves with the master's host. */
  async settled(timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = Object.entries(this.states());
      const masters = s.filter(([, v]) => v === 'MASTER');
      if (masters.length === 1 && s.every(([, v]) => v === 'MASTER' || v === 'BACKUP')) return masters[0]![0];
      if (Date.now() > deadline) {
        const silent = s.filter(([, v]) => v === '').map(([h]) => `${h}: ${this.processes.get(h)?.output.trim().split('\n').slice(-8).join(' | ')}`);
        throw new Error(`keepalived did not settle within ${timeoutMs} ms: ${JSON.stringify(Object.fromEntries(s))}${silent.length ? `; ${silent.join('; ')}` : ''}`);
      }
      await sleep(50);
    }
  }

  async down(): Promise<void> {
    await Promise.all([...this.processes.values()].map((p) => p.stop(1000)));
  }
}
