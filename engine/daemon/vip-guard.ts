// While this node is the scheduler, its interface receives every client frame for the VIP, and
// its kernel (which holds the VIP on lo) would take them all: answer, or reset, flows that belong
// to other nodes. An nftables netdev-ingress drop of frames to the VIP stops that before IP; the
// AF_PACKET rings still see the frames (taps run before ingress hooks). Only the self-delivery
// veth leads into this node's own stack.
import { hostCommand } from './host-command.js';

const TABLE = 'lbarray_vip';

function ruleset(iface: string, vips: readonly string[]): string {
  const drops = vips.map((v) => `    ${v.includes(':') ? 'ip6' : 'ip'} daddr ${v} counter drop`);
  return [
    // Declaring the table first makes the delete safe when it does not exist (a crashed run's leftovers go too).
    `table netdev ${TABLE} {}`,
    `delete table netdev ${TABLE}`,
    `table netdev ${TABLE} {`,
    '  chain ingress {',
    `    type filter hook ingress device "${iface}" priority 0; policy accept;`,
    ...drops,
    '  }',
    '}',
    '',
  ].join('\n');
}

/** Installs the drop (replacing an older one). LbError ERR_NFTABLES when nft refuses. */
export async function guardVip(iface: string, vips: readonly string[]): Promise<void> {
  await hostCommand(['nft', '-f', '-'], { input: ruleset(iface, vips), code: 'ERR_NFTABLES' });
}

/** Removes the drop; nothing to do if it is not there. */
export async function unguardVip(): Promise<void> {
  await hostCommand(['nft', '-f', '-'], { input: `table netdev ${TABLE} {}\ndelete table netdev ${TABLE}\n`, code: 'ERR_NFTABLES' });
}

/** Frames the rule dropped (for status), or 0 when it is not installed. */
export async function guardDrops(): Promise<number> {
  try {
    const out = await hostCommand(['nft', 'list', 'table', 'netdev', TABLE]);
    return [...out.matchAll(/packets (\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
  } catch {
    return 0;
  }
}
