// One forwarding thread of the active scheduler: its own ring on the interface in the PACKET_FANOUT
// hash group (a flow stays on one thread, so each thread keeps its own flow table), the published
// Maglev table, and the blocking loop. ARP/NDP requests for the VIP are answered here (slow path,
// from the same socket). The control word asks it to stop, or to pick up new next-hop MACs.
import { parentPort, workerData } from 'node:worker_threads';
import { isLbError } from '../errors.js';
import { PacketPort, type NextHop } from '../ring/port.js';
import { SchedulerCounters } from '../scheduler/counters.js';
import { Decider } from '../scheduler/decide.js';
import { FlowRouter } from '../scheduler/flow-router.js';
import { FlowTable } from '../scheduler/flow-table.js';
import { runForwardLoop } from '../scheduler/forward-loop.js';
import { answerFor } from '../scheduler/responder.js';
import { ServiceSet } from '../scheduler/service-set.js';
import { TableReader } from '../scheduler/table-publisher.js';
import { Control, type ForwarderData, type ForwarderMessage } from './forwarder-protocol.js';

const d = workerData as ForwarderData;
const send = (m: ForwarderMessage) => parentPort!.postMessage(m);

function main(): void {
  const control = new Int32Array(d.control);
  const port = PacketPort.open({ interface: d.iface, fanout: { group: d.fanoutGroup, mode: 'hash' }, ...d.ring });
  const self = d.selfPath ? PacketPort.open({ interface: d.selfPath.iface, txOnly: true }) : null;
  const reader = new TableReader(d.table, d.readerId);
  const counters = new SchedulerCounters(d.nodeCount, d.counters);
  const flows = new FlowTable({ capacity: d.flowCapacity, idleMs: d.flowIdleMs });
  const decider = new Decider(new ServiceSet(d.services), new FlowRouter(flows, reader), counters);
  const macs = new Uint8Array(d.macs);
  // Node i is reached on the interface at its MAC; this node itself through the self-delivery veth.
  const hops = (): NextHop[] => Array.from({ length: d.nodeCount }, (_, i) => (i === d.selfIndex && self && d.selfPath
    ? { port: self, dstMac: d.selfPath.peerMac }
    : { port, dstMac: macs.slice(6 * i, 6 * i + 6) }));
  const answer = (frame: Uint8Array): void => {
    const reply = answerFor(frame, port.mac);
    if (reply) port.send(reply);
  };
  send({ type: 'ready' });
  const total = { received: 0, forwarded: 0 };
  for (;;) {
    const s = runForwardLoop({ port, reader, decider, hops: hops(), stop: control, onConsumed: answer });
    total.received += s.received;
    total.forwarded += s.forwarded;
    if (Atomics.compareExchange(control, 0, Control.RELOAD_HOPS, Control.RUN) !== Control.RELOAD_HOPS) break;
  }
  port.close();
  self?.close();
  reader.release();
  send({ type: 'stopped', ...total });
}

try {
  main();
} catch (e) {
  send({ type: 'failed', code: isLbError(e) ? e.code : 'ERR_SCHEDULER_WORKER', message: (e as Error).message });
}
