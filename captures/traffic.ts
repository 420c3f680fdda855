// Building blocks of the synthetic captures: clients, TCP flows as the scheduler sees them
// (client → VIP only: responses go straight back from the LB node), and the ICMP errors a
// router sends about a flow's responses.
import { buildBody, buildFrame, ether, icmp, icmp6, ipv4, ipv6, tcp, type FrameSpec, type Ipv4Spec, type Ipv6Spec } from '../engine/packet/index.js';
import type { Random } from './random.js';

export const VIP4 = '198.19.0.1';
export const VIP6 = '2001:2:0:100::1';
/** The scheduler's MAC (where clients send VIP traffic) and the clients' gateway. */
export const SCHEDULER_MAC = '02:00:00:00:01:00';
export const GATEWAY_MAC = '02:00:00:00:fe:01';
const MIN_FRAME = 60; // Ethernet minimum without FCS: shorter frames carry a zero trailer

export interface Client { ip: string; mac: string; v6: boolean }
export interface Flow { client: Client; sport: number; dport: number }
/** A frame of a capture with its time (µs since the epoch). */
export interface Timed { at: number; frame: Uint8Array }

export function client(i: number, v6: boolean): Client {
  const hex = (n: number): string => n.toString(16).padStart(2, '0');
  const net = Math.floor(i / 250);
  const host = (i % 250) + 1;
  return {
    ip: v6 ? `2001:2:0:${(8 + net).toString(16)}::${host.toString(16)}` : `198.18.${128 + net}.${host}`,
    mac: `02:00:00:c1:${hex(i >> 8)}:${hex(i & 255)}`,
    v6,
  };
}

/** A frame from `from` to the scheduler, padded to the Ethernet minimum. */
export function toScheduler(from: string, body: FrameSpec['body'], vlans: FrameSpec['vlans'] = []): Uint8Array {
  const f = buildFrame(ether(body, { dst: SCHEDULER_MAC, src: from, vlans }));
  return f.length >= MIN_FRAME ? f : buildFrame(ether(body, { dst: SCHEDULER_MAC, src: from, vlans, trailer: new Uint8Array(MIN_FRAME - f.length) }));
}

export function ipTo(c: Client, l4: Parameters<typeof ipv4>[2], id: number): Ipv4Spec | Ipv6Spec {
  return c.v6 ? ipv6(c.ip, VIP6, l4, { flowLabel: id & 0xfffff }) : ipv4(c.ip, VIP4, l4, { id: id & 0xffff, dontFragment: true });
}

const MSS_OPTION = Uint8Array.from([2, 4, 0x05, 0xb4]);
const ACK = 0x10;

/** The client's side of a whole connection: SYN, ACK, request, ACK of the response, FIN, last ACK. */
export function tcpFlow(rng: Random, f: Flow, start: number, request: Uint8Array): Timed[] {
  const isn = rng.next();
  const server = rng.next();
  const response = 500 + rng.below(20000);
  const id = rng.below(0x10000);
  const segs = [
    tcp(f.sport, f.dport, { flags: 0x02, seq: isn, window: 64240, options: MSS_OPTION }),
    tcp(f.sport, f.dport, { flags: ACK, seq: isn + 1, ack: server + 1, window: 502 }),
    tcp(f.sport, f.dport, { flags: ACK | 0x08, seq: isn + 1, ack: server + 1, window: 502, payload: request }),
    tcp(f.sport, f.dport, { flags: ACK, seq: isn + 1 + request.length, ack: server + 1 + response, window: 501 }),
    tcp(f.sport, f.dport, { flags: ACK | 0x01, seq: isn + 1 + request.length, ack: server + 1 + response, window: 501 }),
    tcp(f.sport, f.dport, { flags: ACK, seq: isn + 2 + request.length, ack: server + 2 + response, window: 501 }),
  ];
  let at = start;
  return segs.map((s, i) => {
    at += i === 0 ? 0 : 50 + rng.below(2000);
    return { at, frame: toScheduler(f.client.mac, ipTo(f.client, s, id + i)) };
  });
}

export function httpRequest(path: string, tls: boolean): Uint8Array {
  // Port 443 carries a TLS record header before opaque bytes; enough for a decoder to say "TLS".
  if (tls) return Uint8Array.from([0x16, 0x03, 0x01, 0x00, 0x40, ...new Array<number>(0x40).fill(0).map((_, i) => (i * 37) & 255)]);
  return new TextEncoder().encode(`GET ${path} HTTP/1.1\r\nHost: www.lab.test\r\nUser-Agent: lbarray-captures\r\n\r\n`);
}

/** A router's PMTU error about the LB node's response of flow f (VIP:dport → client:sport):
 *  ICMP type 3 code 4 with the next-hop MTU, or ICMPv6 packet too big; the quote is the
 *  response's IP header and the start of its TCP header, as routers send. */
export function pmtuError(f: Flow, router: { ip: string; mac: string }, mtu: number): Uint8Array {
  const reply = tcp(f.dport, f.sport, { flags: ACK, payload: new Uint8Array(mtu) });
  if (f.client.v6) {
    const quoted = buildBody(ipv6(VIP6, f.client.ip, reply)).subarray(0, 1280 - 48);
    return toScheduler(router.mac, ipv6(router.ip, VIP6, icmp6(2, 0, mtu, quoted)));
  }
  const quoted = buildBody(ipv4(VIP4, f.client.ip, reply, { dontFragment: true })).subarray(0, 20 + 8);
  return toScheduler(router.mac, ipv4(router.ip, VIP4, icmp(3, 4, mtu & 0xffff, quoted)));
}
