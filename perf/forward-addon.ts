// The addon forwarder: one direction, IN → OUT. TypeScript decides (fills the decisions array),
// the addon moves bytes: receive a batch from the RX ring, forward it (MAC rewrite, partial
// checksums completed, one TX flush per batch). Used by the lab test of the forwarding path and by
// the live forwarding benchmark (perf/forward.ts). Stops on SIGTERM/SIGINT or after --seconds and
// prints one JSON line with the port counters (PACKET_STATISTICS included).
//
//   node --import tsx perf/forward-addon.ts --in eth0 --out eth1 --dst 02:0e:00:00:00:03 [--seconds N] [--vnet-hdr on|off] [--rx-mode blocks|frames] [--busy-poll US]
import { parseArgs } from 'node:util';
import { PacketPort } from '../engine/ring/index.js';

const { values } = parseArgs({
  options: {
    in: { type: 'string' },
    out: { type: 'string' },
    dst: { type: 'string' },
    seconds: { type: 'string', default: '0' },
    batch: { type: 'string', default: '256' },
    'block-size': { type: 'string', default: String(256 * 1024) },
    blocks: { type: 'string', default: '64' },
    // on: carry partial checksums (and GSO) to the kernel in a virtio-net header; off: complete
    // them in C++; default: the addon's own default.
    'vnet-hdr': { type: 'string' },
    // blocks (TPACKET_V3, the default) or frames (TPACKET_V2: the latency mode).
    'rx-mode': { type: 'string', default: 'blocks' },
    // Microseconds the ring is watched before the thread sleeps (the addon's busyPollUs).
    'busy-poll': { type: 'string', default: '0' },
  },
});
if (!values.in || !values.out || !values.dst) {
  console.error('usage: forward-addon --in IFACE --out IFACE --dst MAC [--seconds N] [--batch N]');
  process.exit(2);
}

const batch = Number(values.batch);
const vnetHdr = values['vnet-hdr'] === undefined ? undefined : values['vnet-hdr'] === 'on';
const rxMode = values['rx-mode'] === 'frames' ? 'frames' : 'blocks';
const rx = PacketPort.open({ interface: values.in, batchSize: batch, blockSize: Number(values['block-size']), blockCount: Number(values.blocks), vnetHdr, rxMode,
  busyPollUs: Number(values['busy-poll']) });
const tx = PacketPort.open({ interface: values.out, batchSize: batch, vnetHdr });
rx.setNextHops([{ port: tx, dstMac: values.dst }]);
const decisions = new Int32Array(batch);
const seconds = Number(values.seconds);
const endAt = seconds > 0 ? performance.now() + seconds * 1000 : Infinity;
let stopping = false;
process.on('SIGTERM', () => (stopping = true));
process.on('SIGINT', () => (stopping = true));

// Forward in slices of ~20 ms, then let the event loop run (signals, timers).
function slice(): void {
  const sliceEnd = Math.min(performance.now() + 20, endAt);
  do {
    const n = rx.receive(batch, 5);
    // The decision a scheduler would make per frame; here every frame goes to next hop 0.
    for (let i = 0; i < n; i++) decisions[i] = 0;
    if (n > 0) rx.forward(decisions, n);
  } while (performance.now() < sliceEnd);
  if (stopping || performance.now() >= endAt) finish();
  else setImmediate(slice);
}

function finish(): void {
  const stats = { ...rx.stats(), txOut: tx.stats() };
  rx.close();
  tx.close();
  console.log(JSON.stringify(stats));
}

console.log(JSON.stringify({ ready: true, rxMac: rx.macText, txMac: tx.macText, vnetHdr: vnetHdr ?? 'addon default', rxMode }));
setImmediate(slice);
