// Every node holds the VIP on lo, so its kernel would take any frame for the VIP that reaches its
// interface: answer, or reset, flows that belong to other nodes. The frames it should take come
// from the array's nodes (a scheduler forwarding a flow here, a node's health probe), with that
// node's MAC as source. Any other frame for the VIP came straight from a client: while this node
// is the scheduler its rings forward it (AF_PACKET taps run before ingress hooks), and after it
// was, it is a client with a stale ARP entry, who should retransmit until the new scheduler's
// announcement reaches it. So an nftables netdev-ingress rule drops frames for the VIP whose
// source is not a node, on every node, from start to stop: a takeover has nothing to install.
// Only the self-delivery veth leads into this node's own stack without it.
import { hostCommand } from './host-command.js';

const TABLE = 'lbarray_vip';

/** The rules; with no node MAC known yet, every frame for the VIP is dropped. */
export function guardRuleset(iface: string, vips: readonly string[], nodeMacs: readonly string[]): string {
  const unless = nodeMacs.length === 0 ? '' : `ether saddr != { ${nodeMacs.join(', ')} } `;
  const drops = vips.map((v) => `    ${unless}${v.includes(':') ? 'ip6' : 'ip'} daddr ${v} counter drop`);
  return [
    // Declaring the table first makes the delete safe when it does not exist (a crashed run's
    // leftovers go too); the file is one transaction, so no frame sees the table half made.
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
export async function guardVip(iface: string, vips: readonly string[], nodeMacs: readonly string[]): Promise<void> {
  await hostCommand(['nft', '-f', '-'], { input: guardRuleset(iface, vips, nodeMacs), code: 'ERR_NFTABLES' });
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
