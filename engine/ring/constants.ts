// Shared numbers between the addon and TypeScript: frame descriptor layout,
// descriptor flags and the special per-frame decisions.

/** Int32 slots per frame in `PacketPort.descriptors`: offset, length, flags, vlan. */
export const DESCRIPTOR_STRIDE = 4;
export const DESC_OFFSET = 0;
export const DESC_LENGTH = 1;
export const DESC_FLAGS = 2;
/** 802.1Q tag the kernel stripped (valid when FrameFlag.VLAN_VALID): TCI | TPID << 16. */
export const DESC_VLAN = 3;

/** Bits of the flags slot of a frame descriptor. */
export const FrameFlag = {
  /** The TCP/UDP checksum is partial (TP_STATUS_CSUMNOTREADY): the field holds the pseudo-header sum. */
  CSUM_NOT_READY: 1,
  /** The kernel stripped an 802.1Q tag: see the vlan slot. forward() puts it back. */
  VLAN_VALID: 2,
  /** The kernel (or NIC) already verified the checksum (TP_STATUS_CSUM_VALID). */
  CSUM_VALID: 4,
  /** The frame was cut to the ring's frame space (TP_STATUS_COPY / snaplen < len). */
  TRUNCATED: 8,
} as const;

/** Per-frame decisions for forward()/rewriteBuffer(): an index into the next-hop table, or one of these. */
export const Decision = {
  /** Drop the frame (counted as dropped). */
  DROP: -1,
  /** Leave the frame alone: TypeScript consumed it (ARP, NDP, ICMP handled in JS). Counted as consumed. */
  CONSUMED: -2,
} as const;

/** Bytes per next-hop entry in a MAC table for rewriteBuffer(): destination MAC then source MAC. */
export const MAC_ENTRY_BYTES = 12;
