// One forwarding thread of the scheduler. Parked until the node becomes the scheduler; then its
// own ring on the interface in the PACKET_FANOUT hash group (a flow stays on one thread, so each
// thread keeps its own flow table), the published Maglev table and the blocking loop, until told
// to stop; then it closes its rings and parks again. ARP/NDP requests for the VIP are answered
// here (slow path, from the same socket).
import { parentPort, workerData } from 'node:worker_threads';
import { isLbError } from '../errors.js';
import { PacketPort, type NextHop } from '../ring/port.js';
import { SchedulerCounters } from '../scheduler/counters.js';
import { Decider } from '../scheduler/decide.js';
import { FlowExport } from '../scheduler/flow-export.js';
import { FlowRouter } from '../scheduler/flow-router.js';
import { FlowTable } from '../scheduler/flow-table.js';
import { runForwardLoop } from '../scheduler/forward-loop.js';
import { answerFor } from '../scheduler/responder.js';
import { ServiceSet } from '../scheduler/service-set.js';
import { TableReader } from '../scheduler/table-publisher.js';
import { Control, CONTROL_READER, type ForwarderData, type ForwarderMessage } from './forwarder-protocol.js';

const d = workerData as ForwarderData;
const send = (m: ForwarderMessage) => parentPort!.postMessage(m);
const control = new Int32Array(d.control);
const counters = new SchedulerCounters(d.nodeCount, d.counters);
const services = new ServiceSet(d.services);
const macs = new Uint8Array(d.macs);
const flowExport = new FlowExport(d.flowExport);

// One activation: open, forward until STOP, close. The flow table lives in shared memory the
// control plane fills while the thread is parked (flow sync: the flows the array knows of); each
// flow it sees established goes to the export ring.
function session(): ForwarderMessage {
  const ports: PacketPort[] = [];
  let reader: TableReader | null = null;
  try {
    // The reader first: the slot the control plane reserved goes back whatever fails below.
    reader = new TableReader(d.table, Atomics.load(control, CONTROL_READER));
    const port = PacketPort.open({ interface: d.iface, fanout: { group: d.fanoutGroup, mode: 'hash' }, ...d.ring });
    ports.push(port);
    const self = PacketPort.open({ interface: d.selfIface, txOnly: true });
    ports.push(self);
    const flows = new FlowTable({ capacity: d.flowCapacity, idleMs: d.flowIdleMs, buffer: d.flowTable });
    flows.exporter = flowExport;
    const decider = new Decider(services, new FlowRouter(flows, reader!), counters);
    const hops = (): NextHop[] => Array.from({ length: d.nodeCount }, (_, i) => ({
      port: i === d.selfIndex ? self : port, dstMac: macs.slice(6 * i, 6 * i + 6),
    }));
    const answer = (frame: Uint8Array): void => {
      const reply = answerFor(frame, port.mac);
      if (reply) port.send(reply);
    };
    send({ type: 'ready' });
    const total = { received: 0, forwarded: 0 };
    for (;;) {
      const s = runForwardLoop({ port, reader: reader!, decider, hops: hops(), stop: control, onConsumed: answer });
      total.received += s.received;
      total.forwarded += s.forwarded;
      if (Atomics.compareExchange(control, 0, Control.RELOAD_HOPS, Control.RUN) !== Control.RELOAD_HOPS) break;
    }
    return { type: 'stopped', ...total };
  } catch (e) {
    return { type: 'failed', code: isLbError(e) ? e.code : 'ERR_SCHEDULER_WORKER', message: (e as Error).message };
  } finally {
    for (const p of ports) p.close();
    reader?.release();
  }
}

send({ type: 'parked' });
for (;;) {
  Atomics.wait(control, 0, Control.PARKED);
  const c = Atomics.load(control, 0);
  if (c === Control.EXIT) break;
  const result = c === Control.RUN ? session() : null;
  // Parked again before the control plane hears of it, so its next RUN cannot be lost; an EXIT
  // written meanwhile makes the exchange fail and the wait return at once.
  const now = Atomics.load(control, 0);
  if (now !== Control.EXIT) Atomics.compareExchange(control, 0, now, Control.PARKED);
  if (result) send(result);
}
