// The classic BPF program of the cluster link's socket: the kernel keeps only what the cluster
// part reads (VRRP adverts, and the answers to node probes: TCP from the VIP's service port), so
// the client traffic a scheduler or node sees on the same interface never reaches the ring or JS.
// Measured in the demo before this filter: the 1 MiB ring of a busy scheduler dropped thousands of
// frames, adverts and probe answers among them, and node health flapped.
//
// Offsets are from the Ethernet header; the kernel has already taken 802.1Q tags off (AF_PACKET
// sees them in the frame's metadata). IPv6 probe answers are matched without extension headers,
// which a SYN-ACK does not carry.
import { ETH_IPV4, ETH_IPV6, PROTO_TCP } from '../packet/parsed.js';
import { VRRP_PROTOCOL } from './vrrp-packet.js';

// Opcodes (linux/filter.h).
const LD_H_ABS = 0x28;
const LD_B_ABS = 0x30;
const LD_H_IND = 0x48;
const LDX_B_MSH = 0xb1;
const JEQ_K = 0x15;
const RET_K = 0x06;
const ACCEPT_BYTES = 0x40000;

type Target = 'accept' | 'drop' | number;
type Insn = [code: number, jt: Target, jf: Target, k: number];

/** The program for probes answered from `port` (0..65535), as the addon takes it. */
export function clusterLinkFilter(port: number): Uint32Array {
  const prog: Insn[] = [
    /* 0 */ [LD_H_ABS, 0, 0, 12],
    /* 1 */ [JEQ_K, 2, 8, ETH_IPV4],
    /* 2 */ [LD_B_ABS, 0, 0, 14 + 9],
    /* 3 */ [JEQ_K, 'accept', 4, VRRP_PROTOCOL],
    /* 4 */ [JEQ_K, 5, 'drop', PROTO_TCP],
    /* 5 */ [LDX_B_MSH, 0, 0, 14], // X = IPv4 header length
    /* 6 */ [LD_H_IND, 0, 0, 14], // TCP source port at X + 14
    /* 7 */ [JEQ_K, 'accept', 'drop', port],
    /* 8 */ [JEQ_K, 9, 'drop', ETH_IPV6],
    /* 9 */ [LD_B_ABS, 0, 0, 14 + 6],
    /* 10 */ [JEQ_K, 'accept', 11, VRRP_PROTOCOL],
    /* 11 */ [JEQ_K, 12, 'drop', PROTO_TCP],
    /* 12 */ [LD_H_ABS, 0, 0, 14 + 40],
    /* 13 */ [JEQ_K, 'accept', 'drop', port],
  ];
  const accept = prog.length;
  const drop = prog.length + 1;
  const words = new Uint32Array((prog.length + 2) * 4);
  const rel = (t: Target, i: number) => (t === 'accept' ? accept : t === 'drop' ? drop : t) - (i + 1);
  prog.forEach(([code, jt, jf, k], i) => {
    const jump = code === JEQ_K;
    words.set([code, jump ? rel(jt, i) : 0, jump ? rel(jf, i) : 0, k >>> 0], i * 4);
  });
  words.set([RET_K, 0, 0, ACCEPT_BYTES], accept * 4);
  words.set([RET_K, 0, 0, 0], drop * 4);
  return words;
}
