// Which client addresses a node serves (nginx's allow/deny, HAProxy's `tcp-request connection
// reject`): a connection from a denied address, or from one outside a non-empty allow list, is
// reset as soon as it is accepted, before any TLS or HTTP work. Deny wins over allow. Entries are
// addresses or CIDR prefixes, IPv4 or IPv6; an IPv4 client seen on a dual-stack socket
// (::ffff:a.b.c.d) is matched as IPv4.
import net from 'node:net';
import { parsePrefix } from '../config/address.js';
import { LbError } from '../errors.js';

export interface AccessOptions {
  allow?: readonly string[];
  deny?: readonly string[];
}

function blockList(entries: readonly string[], what: string): net.BlockList {
  const list = new net.BlockList();
  for (const e of entries) {
    const p = parsePrefix(e);
    if (p === undefined) throw new LbError('ERR_L7_ACCESS_LIST', `The ${what} list entry "${e}" is not an IP address or CIDR prefix.`);
    list.addSubnet(p.address, p.bits, p.family);
  }
  return list;
}

export class AccessList {
  private readonly allow: net.BlockList | undefined;
  private readonly deny: net.BlockList;
  constructor(options: AccessOptions) {
    this.allow = options.allow !== undefined && options.allow.length > 0 ? blockList(options.allow, 'allow') : undefined;
    this.deny = blockList(options.deny ?? [], 'deny');
  }

  /** Whether a connection from `address` (a socket's remoteAddress) is served. */
  admits(address: string | undefined): boolean {
    if (address === undefined) return false;
    const v4 = address.startsWith('::ffff:') && net.isIPv4(address.slice(7)) ? address.slice(7) : undefined;
    const a = v4 ?? address;
    const family = net.isIPv4(a) ? 'ipv4' : 'ipv6';
    if (this.deny.check(a, family)) return false;
    return this.allow === undefined || this.allow.check(a, family);
  }
}
