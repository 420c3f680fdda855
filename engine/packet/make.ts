// Short constructors for specs with the usual defaults (TTL 64, no options, untagged...), for
// the capture generator, the responder, the cluster and tests.
import type { Address, FrameSpec, IcmpSpec, Ipv4Spec, Ipv6Spec, L4Spec, NaSpec, NsSpec, TcpSpec, UdpSpec } from './spec.js';

const EMPTY = new Uint8Array(0);

export function ether<A extends Address = string>(body: FrameSpec<A>['body'], o: Partial<Omit<FrameSpec<A>, 'body'>> = {}): FrameSpec<A | string> {
  return { dst: o.dst ?? '02:00:00:00:00:01', src: o.src ?? '02:00:00:00:00:02', vlans: o.vlans ?? [], body, trailer: o.trailer ?? EMPTY };
}

export function ipv4<A extends Address = string>(src: A, dst: A, l4: L4Spec, o: Partial<Omit<Ipv4Spec, 'kind' | 'src' | 'dst' | 'l4'>> = {}): Ipv4Spec<A> {
  return { kind: 'ipv4', src, dst, tos: 0, id: 0, ttl: 64, dontFragment: false, moreFragments: false, fragmentOffset: 0, options: EMPTY, ...o, l4 };
}

export function ipv6<A extends Address = string>(src: A, dst: A, l4: L4Spec, o: Partial<Omit<Ipv6Spec, 'kind' | 'src' | 'dst' | 'l4'>> = {}): Ipv6Spec<A> {
  return { kind: 'ipv6', src, dst, trafficClass: 0, flowLabel: 0, hopLimit: 64, extensions: [], ...o, l4 };
}

export function tcp(sport: number, dport: number, o: Partial<Omit<TcpSpec, 'kind' | 'sport' | 'dport'>> = {}): TcpSpec {
  return { kind: 'tcp', sport, dport, seq: 0, ack: 0, flags: 0x10, window: 65535, urgent: 0, options: EMPTY, payload: EMPTY, ...o };
}

export function udp(sport: number, dport: number, payload: Uint8Array = EMPTY): UdpSpec {
  return { kind: 'udp', sport, dport, payload };
}

export function icmp(type: number, code: number, rest: number, payload: Uint8Array = EMPTY): IcmpSpec {
  return { kind: 'icmp', type, code, rest, payload };
}

export function icmp6(type: number, code: number, rest: number, payload: Uint8Array = EMPTY): IcmpSpec {
  return { kind: 'icmp6', type, code, rest, payload };
}

export function ns(target: string, sourceMac: string | null = null): NsSpec {
  return { kind: 'ns', target, sourceMac };
}

export function na(target: string, targetMac: string | null, flags: { router?: boolean; solicited?: boolean; override?: boolean } = {}): NaSpec {
  return { kind: 'na', router: flags.router ?? false, solicited: flags.solicited ?? false, override: flags.override ?? false, target, targetMac };
}

/** The IPv6 solicited-node multicast group of an address (RFC 4291 §2.7.1) and its MAC (RFC 2464 §7). */
export function solicitedNode(target: Uint8Array): { ip: string; mac: string } {
  const h = (b: number): string => b.toString(16).padStart(2, '0');
  return { ip: `ff02::1:ff${h(target[13])}:${h(target[14])}${h(target[15])}`, mac: `33:33:ff:${h(target[13])}:${h(target[14])}:${h(target[15])}` };
}
