// Why the codec refused a frame. A frame never makes the parser throw: it yields one of these,
// and the caller counts it (a typed-array slot per reason, like the scheduler's DropReason).
export const Reason = {
  OK: 0,
  /** The frame ends before a header it announces (Ethernet, VLAN tag, ARP, IP header or datagram). */
  TRUNCATED: 1,
  /** Not ARP, IPv4 or IPv6 (or an 802.3 length field). */
  BAD_ETHERTYPE: 2,
  /** More than two tags, an 802.1ad tag inside an 802.1Q one, or the reserved VID 4095. */
  BAD_VLAN: 3,
  /** ARP that is not Ethernet/IPv4 request or reply. */
  BAD_ARP: 4,
  /** The version nibble does not match the ethertype. */
  BAD_IP_VERSION: 5,
  /** IPv4 header length under 20 bytes, or options that do not fit it. */
  BAD_IHL: 6,
  /** IPv4 total length shorter than its header; IPv6 jumbogram (payload length 0). */
  BAD_IP_LENGTH: 7,
  /** IPv6 extension-header chain: out of the payload, too long, hop-by-hop not first, two fragment headers. */
  BAD_IPV6_EXT: 8,
  /** Fragment fields that cannot be: reserved or DF bit with a fragment, ragged or oversized pieces. */
  BAD_FRAGMENT: 9,
  /** TCP/UDP/ICMP header that does not fit its datagram or whose lengths contradict it. */
  BAD_L4: 10,
} as const;
export type Reason = (typeof Reason)[keyof typeof Reason];
export const REASON_NAMES = Object.keys(Reason) as Array<keyof typeof Reason>;
