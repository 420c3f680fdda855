// What a failover looks like on the wire, from frames captured at the lab's switch with the kernel's
// timestamps: after a kill, the new master's first VRRP advert, its first gratuitous ARP for the
// VIP, and the first client frame to the VIP it forwards (its own MAC as the source: the scheduler
// rewrites the MACs). Pure: frames in, milliseconds out; perf/failover.ts captures the frames.
import { decodeAdvertFrame } from '../engine/cluster/vrrp-packet.js';
import { ETH_ARP, ipText, macText, ParsedFrame, parseFrame } from '../engine/packet/index.js';
import type { Capture } from '../engine/capture/index.js';

/** One frame reduced to what a failover is read from. */
export type WireEvent =
  | { kind: 'advert'; us: number; vrid: number; source: string }
  | { kind: 'garp'; us: number; mac: string; ip: string }
  | { kind: 'ip'; us: number; srcMac: string; src: string; dst: string };

const ARP_REQUEST = 1;
const ARP_REPLY = 2;

/** The frame as a WireEvent, or null for anything else (us: the capture's timestamp, µs since the epoch). */
export function wireEvent(frame: Uint8Array, us: number): WireEvent | null {
  const advert = decodeAdvertFrame(frame);
  if (advert.ok) return { kind: 'advert', us, vrid: advert.advert.vrid, source: ipText(advert.advert.source) };
  const p = new ParsedFrame();
  parseFrame(frame, 0, frame.length, p);
  if (p.etherType === ETH_ARP && p.l3 >= 0 && p.l3 + 28 <= frame.length) {
    // Gratuitous (RFC 5227): a request or reply whose sender and target IP are the same address.
    const sender = ipText(frame, p.l3 + 14, 4);
    const gratuitous = (p.arpOp === ARP_REQUEST || p.arpOp === ARP_REPLY) && sender === ipText(frame, p.l3 + 24, 4);
    return gratuitous ? { kind: 'garp', us, mac: macText(frame, p.l3 + 8), ip: sender } : null;
  }
  if (p.ipVersion === 0 || p.l3 < 0) return null;
  const [off, len] = p.ipVersion === 4 ? [12, 4] : [8, 16];
  return { kind: 'ip', us, srcMac: macText(frame, p.start + 6), src: ipText(frame, p.l3 + off, len), dst: ipText(frame, p.l3 + off + len, len) };
}

/** Every event of one or more captures, in time order. */
export function wireEvents(captures: readonly Capture[]): WireEvent[] {
  const events: WireEvent[] = [];
  for (const c of captures) {
    for (let i = 0; i < c.count; i++) {
      const e = wireEvent(c.buf.subarray(c.offsets[i], c.offsets[i]! + c.lengths[i]!), c.timestamps[i]!);
      if (e) events.push(e);
    }
  }
  return events.sort((a, b) => a.us - b.us);
}

export interface Takeover {
  /** The node address whose advert came first after the kill: the new master. */
  master: string | null;
  /** Milliseconds from the kill (null: not seen in the capture). */
  advertMs: number | null;
  garpMs: number | null;
  forwardedMs: number | null;
}

export interface TakeoverQuery {
  /** The kill, µs since the epoch (the clock of the capture's timestamps). */
  killUs: number;
  vrid: number;
  /** The killed master's address (its adverts before it died do not count). */
  killed: string;
  /** Node address → MAC, for every node that may take over. */
  macs: Record<string, string>;
  /** Addresses announced (ARP) and forwarded to. */
  vip: { v4: string; v6?: string };
  /** Client addresses: a forwarded frame is a client's frame to the VIP with a node's MAC as its source. */
  clients: readonly string[];
}

/** Reads a takeover out of the wire events: the new master's first advert, gratuitous ARP and forwarded frame after the kill. */
export function takeover(events: readonly WireEvent[], q: TakeoverQuery): Takeover {
  const after = events.filter((e) => e.us >= q.killUs);
  const ms = (e: WireEvent | undefined): number | null => (e ? (e.us - q.killUs) / 1000 : null);
  const advert = after.find((e) => e.kind === 'advert' && e.vrid === q.vrid && e.source !== q.killed && e.source in q.macs);
  const master = advert?.kind === 'advert' ? advert.source : null;
  const mac = master === null ? null : q.macs[master]!;
  const vips = [q.vip.v4, q.vip.v6];
  const garp = after.find((e) => e.kind === 'garp' && e.mac === mac && e.ip === q.vip.v4);
  const forwarded = after.find((e) => e.kind === 'ip' && e.srcMac === mac && vips.includes(e.dst) && q.clients.includes(e.src));
  return { master, advertMs: ms(advert), garpMs: ms(garp), forwardedMs: ms(forwarded) };
}
