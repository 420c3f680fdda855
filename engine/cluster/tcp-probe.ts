// The LB-node health probe on the wire: a TCP SYN to VIP:port in a frame addressed to the node's
// MAC (so it goes where the scheduler would send a client's SYN), the node's answer (SYN-ACK: it
// holds the VIP and its listener is there; RST: no listener), and the RST that closes the
// half-open connection. Pure.
import { buildIpFrame, parseIpFrame, upperLayerChecksum } from './ip-frame.js';

const TCP = 6;
export const SYN = 0x02;
export const RST = 0x04;
export const ACK = 0x10;

export interface ProbeEnds {
  srcMac: Uint8Array;
  dstMac: Uint8Array;
  /** Our own address and the VIP, 4 or 16 bytes each. */
  src: Uint8Array;
  dst: Uint8Array;
  sport: number;
  dport: number;
}

function segment(ends: ProbeEnds, seq: number, flags: number, options: number[]): Uint8Array {
  const s = new Uint8Array(20 + options.length);
  const dv = new DataView(s.buffer);
  dv.setUint16(0, ends.sport);
  dv.setUint16(2, ends.dport);
  dv.setUint32(4, seq >>> 0);
  s[12] = (s.length / 4) << 4;
  s[13] = flags;
  dv.setUint16(14, flags & SYN ? 64240 : 0);
  s.set(options, 20);
  dv.setUint16(16, upperLayerChecksum(ends.src, ends.dst, TCP, s));
  return buildIpFrame({ dstMac: ends.dstMac, srcMac: ends.srcMac, src: ends.src, dst: ends.dst, protocol: TCP, ttl: 64, payload: s, dontFragment: true });
}

/** A SYN with an MSS option (1460: any node's MTU takes it). */
export function synFrame(ends: ProbeEnds, seq: number): Uint8Array {
  return segment(ends, seq, SYN, [2, 4, 0x05, 0xb4]);
}

/** The RST answering a SYN-ACK whose acknowledgment number was `ack` (RFC 793: seq = that ack). */
export function rstFrame(ends: ProbeEnds, ack: number): Uint8Array {
  return segment(ends, ack, RST, []);
}

export interface TcpView {
  src: Uint8Array;
  dst: Uint8Array;
  sport: number;
  dport: number;
  seq: number;
  ack: number;
  flags: number;
}

/** The TCP header fields of a frame, or null for anything else. Never throws. */
export function parseTcpFrame(frame: Uint8Array): TcpView | null {
  const r = parseIpFrame(frame);
  if (!r.ok || r.ip.protocol !== TCP || r.ip.payload.length < 20) return null;
  const p = r.ip.payload;
  const dv = new DataView(p.buffer, p.byteOffset, p.byteLength);
  return {
    src: r.ip.src, dst: r.ip.dst, sport: dv.getUint16(0), dport: dv.getUint16(2),
    seq: dv.getUint32(4), ack: dv.getUint32(8), flags: p[13],
  };
}
