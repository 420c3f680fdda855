// Takeover: tell the segment that the VIP now lives at this node's MAC (gratuitous ARP, RFC 5227;
// unsolicited neighbour advertisement, RFC 4861 §7.2.6), a few times, since one frame may be lost.
import { PacketPort } from '../ring/port.js';
import { gratuitousArp, unsolicitedAdvertisement } from '../scheduler/responder.js';

/** Delays (ms from now) of the announcements. */
export const ANNOUNCE_SCHEDULE = [0, 200, 1000] as const;

/** Sends the announcements for `vips` on `iface`; returns a function that cancels those not sent yet. */
export function announceVip(iface: string, vips: readonly string[]): () => void {
  const port = PacketPort.open({ interface: iface, txOnly: true });
  const frames = vips.map((v) => (v.includes(':') ? unsolicitedAdvertisement(v, port.mac) : gratuitousArp(v, port.mac)));
  const timers = ANNOUNCE_SCHEDULE.map((ms, i) => setTimeout(() => {
    if (port.closed) return;
    for (const f of frames) port.send(f);
    if (i === ANNOUNCE_SCHEDULE.length - 1) port.close();
  }, ms));
  return () => {
    for (const t of timers) clearTimeout(t);
    port.close();
  };
}
