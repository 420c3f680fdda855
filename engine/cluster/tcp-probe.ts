// The LB-node health probe on the wire: a TCP SYN to VIP:port in a frame addressed to the node's
// MAC (so it goes where the scheduler would send a client's SYN), the node's answer (SYN-ACK: it
// holds the VIP and its listener is there; RST: no listener), and the RST that closes the
// half-open connection. Built and parsed by engine/packet. Pure.
import { buildFrame, ether, ipv4, ipv6, parseFrame, ParsedFrame, PROTO_TCP, Reason, tcp, type TcpSpec } from '../packet/index.js';
import { viewFor } from '../packet/view.js';

export const SYN = 0x02;
export const RST = 0x04;
export const ACK = 0x10;
/** MSS 1460: any node's MTU takes it. */
const MSS_OPTION = Uint8Array.of(2, 4, 0x05, 0xb4);

/** A connection's ends: addresses 4 or 16 bytes each. */
interface Connection {
  src: Uint8Array;
  dst: Uint8Array;
  sport: number;
  dport: number;
}

/** Our own address and the VIP, and the MACs the frame goes between. */
export interface ProbeEnds extends Connection {
  srcMac: Uint8Array;
  dstMac: Uint8Array;
}

function probeFrame(ends: ProbeEnds, fields: Partial<TcpSpec>): Uint8Array {
  const l4 = tcp(ends.sport, ends.dport, fields);
  const ip = ends.src.length === 16 ? ipv6(ends.src, ends.dst, l4) : ipv4(ends.src, ends.dst, l4, { dontFragment: true });
  return buildFrame(ether(ip, { dst: ends.dstMac, src: ends.srcMac }));
}

/** A SYN with an MSS option. */
export function synFrame(ends: ProbeEnds, seq: number): Uint8Array {
  return probeFrame(ends, { seq, flags: SYN, window: 64240, options: MSS_OPTION });
}

/** The RST answering a SYN-ACK whose acknowledgment number was `ack` (RFC 793: seq = that ack). */
export function rstFrame(ends: ProbeEnds, ack: number): Uint8Array {
  return probeFrame(ends, { seq: ack, flags: RST, window: 0 });
}

/** Addresses are views into the frame. */
export type TcpView = Connection & Pick<TcpSpec, 'seq' | 'ack' | 'flags'>;

// One parse result reused for every frame: the link hands frames one at a time.
const parsed = new ParsedFrame();

/** The TCP header fields of a frame, or null for anything else (fragments too). Never throws. */
export function parseTcpFrame(frame: Uint8Array): TcpView | null {
  const f = parsed;
  if (parseFrame(frame, 0, frame.length, f) !== Reason.OK || f.proto !== PROTO_TCP || f.fragment) return null;
  const dv = viewFor(frame); // the one parseFrame just used
  return {
    src: f.srcBytes(frame), dst: f.dstBytes(frame), sport: f.sport, dport: f.dport, seq: dv.getUint32(f.l4 + 4), ack: dv.getUint32(f.l4 + 8), flags: f.tcpFlags,
  };
}
