// Small questions other modules ask of a Config.
import { LbError } from '../errors.js';
import type { Config, NodeConfig } from './schema.js';

/** The node with this id; LbError ERR_NO_SUCH_NODE naming the known ids otherwise. */
export function nodeById(config: Config, id: string): NodeConfig {
  const node = config.nodes.find((n) => n.id === id);
  if (!node) {
    throw new LbError('ERR_NO_SUCH_NODE', `node "${id}" is not in the config (nodes: ${config.nodes.map((n) => n.id).join(', ')}).`);
  }
  return node;
}

/** Where a node's admin endpoint listens: its adminAddress, else its own ipv4, else its ipv6. */
export function adminEndpoint(config: Config, node: NodeConfig): { address: string; port: number; url: string } {
  const address = (node.adminAddress ?? node.ipv4 ?? node.ipv6) as string;
  const host = address.includes(':') ? `[${address}]` : address;
  return { address, port: config.admin.port, url: `http://${host}:${config.admin.port}` };
}

/** The VIP addresses, IPv4 first. */
export function vipAddresses(config: Config): string[] {
  return [config.vip.ipv4, config.vip.ipv6].filter((a): a is string => a !== undefined);
}

/**
 * The address family the nodes talk to each other in (VRRP adverts, node probes, flow sync), one
 * for the whole array: IPv4 when the VIP and every node have an IPv4 address, else IPv6 when they
 * all have IPv6; null when neither (the config check refuses that). Chosen per node, a node
 * without IPv4 would speak IPv6 to peers that speak IPv4, and each side would elect itself.
 */
export function clusterFamily(config: Pick<Config, 'vip' | 'nodes'>): 4 | 6 | null {
  if (config.vip.ipv4 !== undefined && config.nodes.every((n) => n.ipv4 !== undefined)) return 4;
  if (config.vip.ipv6 !== undefined && config.nodes.every((n) => n.ipv6 !== undefined)) return 6;
  return null;
}
