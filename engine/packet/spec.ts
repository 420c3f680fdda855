// What a frame says, as plain data: the input of the builders and the output of describeFrame
// (slow path: tests, the capture generator, the responder). Checksums and lengths are not
// fields: builders compute them. Addresses are text ("198.19.0.1", "2001:2::1", "02:00:…"), or
// for the frame and IP header their bytes (A = Address): the cluster builds from the bytes it holds.

/** Text, or bytes: 6 for a MAC, 4 or 16 for an IP address. */
export type Address = string | Uint8Array;

export interface VlanTag { tpid: 0x8100 | 0x88a8; pcp: number; dei: boolean; vid: number }

export interface FrameSpec<A extends Address = string> {
  dst: A;
  src: A;
  /** Outer tag first. */
  vlans: VlanTag[];
  body: ArpSpec | Ipv4Spec<A> | Ipv6Spec<A>;
  /** Bytes after the ARP body or IP datagram (Ethernet padding). */
  trailer: Uint8Array;
}

export interface ArpSpec {
  kind: 'arp';
  op: 1 | 2;
  senderMac: string;
  senderIp: string;
  targetMac: string;
  targetIp: string;
}

export interface Ipv4Spec<A extends Address = string> {
  kind: 'ipv4';
  src: A;
  dst: A;
  tos: number;
  id: number;
  ttl: number;
  dontFragment: boolean;
  moreFragments: boolean;
  /** In bytes, a multiple of 8. */
  fragmentOffset: number;
  /** Raw option bytes, a multiple of 4, at most 40. */
  options: Uint8Array;
  /** A fragment's piece is always 'raw'. */
  l4: L4Spec;
}

export type Ipv6Extension =
  | { type: 0 | 43 | 60; data: Uint8Array } // hop-by-hop, routing, destination options: 6 + 8k bytes after next/length
  | { type: 44; id: number; offset: number; more: boolean };

export interface Ipv6Spec<A extends Address = string> {
  kind: 'ipv6';
  src: A;
  dst: A;
  trafficClass: number;
  flowLabel: number;
  hopLimit: number;
  extensions: Ipv6Extension[];
  l4: L4Spec;
}

export interface TcpSpec {
  kind: 'tcp';
  sport: number;
  dport: number;
  seq: number;
  ack: number;
  /** The 8 flag bits (CWR ECE URG ACK PSH RST SYN FIN). */
  flags: number;
  window: number;
  urgent: number;
  /** A multiple of 4 bytes, at most 40. */
  options: Uint8Array;
  payload: Uint8Array;
}

export interface UdpSpec { kind: 'udp'; sport: number; dport: number; payload: Uint8Array }

/** ICMPv4 / ICMPv6 messages: `rest` is the 32-bit word after the checksum (MTU, id and sequence...). */
export interface IcmpSpec { kind: 'icmp' | 'icmp6'; type: number; code: number; rest: number; payload: Uint8Array }

/** NDP neighbour solicitation, with the source link-layer address option when sourceMac is set. */
export interface NsSpec { kind: 'ns'; target: string; sourceMac: string | null }

/** NDP neighbour advertisement, with the target link-layer address option when targetMac is set. */
export interface NaSpec { kind: 'na'; router: boolean; solicited: boolean; override: boolean; target: string; targetMac: string | null }

/** Any other protocol, and the piece of a fragment. */
export interface RawSpec { kind: 'raw'; proto: number; payload: Uint8Array }

export type L4Spec = TcpSpec | UdpSpec | IcmpSpec | NsSpec | NaSpec | RawSpec;
