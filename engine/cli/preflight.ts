// Checks made before touching the network, so that a missing privilege or interface is one
// clear sentence instead of an EPERM stack trace from deep inside.
import fs from 'node:fs';
import { LbError } from '../errors.js';

const CAPS: Record<string, number> = { CAP_NET_ADMIN: 12, CAP_NET_RAW: 13, CAP_SYS_ADMIN: 21 };

/** The effective capability set of this process, from /proc/self/status. */
export function effectiveCapabilities(statusText = fs.readFileSync('/proc/self/status', 'utf8')): bigint {
  const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(statusText);
  return m ? BigInt(`0x${m[1]}`) : 0n;
}

export function missingCapabilities(needed: readonly string[], eff = effectiveCapabilities()): string[] {
  return needed.filter((c) => (eff & (1n << BigInt(CAPS[c]))) === 0n);
}

/** LbError ERR_PRIVILEGES naming what is missing. */
export function requireCapabilities(what: string, needed: readonly string[], eff?: bigint): void {
  const missing = missingCapabilities(needed, eff);
  if (missing.length > 0) {
    throw new LbError('ERR_PRIVILEGES', `${what} needs ${missing.join(' and ')}: run it as root, or with the capabilities of examples/lbarray.service.`);
  }
}

/** LbError ERR_NO_SUCH_INTERFACE when this host (network namespace) has no such interface. */
export function requireInterface(name: string, nodeId: string, sysfs = '/sys/class/net'): void {
  if (!fs.existsSync(`${sysfs}/${name}`)) {
    throw new LbError('ERR_NO_SUCH_INTERFACE', `node ${nodeId} uses interface ${name}, which does not exist here (see \`ip link\`).`);
  }
}
