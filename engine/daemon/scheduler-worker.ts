// One forwarding thread of the scheduler. Its ring on the interface is opened when the thread
// starts, in the PACKET_FANOUT hash group (a flow stays on one thread, so each thread keeps its
// own flow table), and stands by refusing every frame (DROP_ALL) while the node is not the
// scheduler: on a takeover the control plane lifts the filter (setSocketFilter on CONTROL_RING_FD),
// frames wait in the ring while this thread wakes, and nothing is opened or mapped. Then the
// published Maglev table and the blocking loop, until told to stop; the ring refuses frames again,
// what arrived before that is discarded, and the thread parks. ARP/NDP requests and pings for the VIP are answered here (slow path, same socket).
import { parentPort, workerData } from 'node:worker_threads';
import { isLbError } from '../errors.js';
import { DROP_ALL, PacketPort, type NextHop } from '../ring/port.js';
import { SchedulerCounters } from '../scheduler/counters.js';
import { Decider } from '../scheduler/decide.js';
import { FlowExport } from '../scheduler/flow-export.js';
import { FlowRouter } from '../scheduler/flow-router.js';
import { FlowTable } from '../scheduler/flow-table.js';
import { runForwardLoop } from '../scheduler/forward-loop.js';
import { answerFor, replyBudget } from '../scheduler/responder.js';
import { ServiceSet } from '../scheduler/service-set.js';
import { TableReader } from '../scheduler/table-publisher.js';
import { Control, CONTROL_FLOWS, CONTROL_READER, CONTROL_RING_FD, type ForwarderData, type ForwarderMessage } from './forwarder-protocol.js';

const d = workerData as ForwarderData;
const send = (m: ForwarderMessage) => parentPort!.postMessage(m);
const control = new Int32Array(d.control);
const counters = new SchedulerCounters(d.nodeCount, d.counters);
const services = new ServiceSet(d.services);
const macs = new Uint8Array(d.macs);
const flowExport = new FlowExport(d.flowExport);

/** How long the ring is read, once it refuses frames again, for frames that arrived before (a
 *  V3 block is handed over up to one retire timeout later). */
const SETTLE_MS = 5;

/** Pings of the VIP answered per second by one thread; the rest are counted (a flood must not take the forwarding time). */
const ECHO_REPLIES_PER_SECOND = 1000;
const echoBudget = replyBudget(ECHO_REPLIES_PER_SECOND);
const echoAllowed = (): boolean => {
  if (echoBudget()) return true;
  counters.events[7]++;
  return false;
};

const openRing = () => PacketPort.open({ interface: d.iface, fanout: { group: d.fanoutGroup, mode: 'hash' }, ...d.ring, filter: DROP_ALL });

// Opened at start; if the interface is not there yet, the first activation tries again (and fails
// with the reason).
let ring: PacketPort | null = null;
/** The ring's drops (its statistics count from its open) already in the counters. */
let ringDropsCounted = 0;
let standbyError: string | null = null;
try {
  ring = openRing();
} catch (e) {
  standbyError = (e as Error).message;
}
const publishFd = () => Atomics.store(control, CONTROL_RING_FD, ring ? ring.fd : -1);
publishFd();

// One view of the shared flow table for the thread's life (made now, off the takeover path: it
// counts the table once); the control plane says how many entries it holds at each activation.
const flows = new FlowTable({ capacity: d.flowCapacity, idleMs: d.flowIdleMs, buffer: d.flowTable });
flows.exporter = flowExport;

/** Hands back unread what the ring holds (frames from before it refused them again). */
function discard(port: PacketPort, waitMs: number): void {
  while (port.receive(port.batchSize, waitMs) > 0);
  port.release();
}

// One activation: forward until STOP. The flow table lives in shared memory the control plane
// fills while the thread is parked (flow sync: the flows the array knows of); each flow it sees
// established goes to the export ring.
function session(): ForwarderMessage {
  let self: PacketPort | null = null;
  let reader: TableReader | null = null;
  try {
    // The reader first: the slot the control plane reserved goes back whatever fails below.
    reader = new TableReader(d.table, Atomics.load(control, CONTROL_READER));
    // Standing by, the control plane has let frames in already (they wait here); a ring that
    // could not stand by is opened now, and lets them in itself.
    if (!ring) {
      ring = openRing();
      ringDropsCounted = 0;
      ring.setFilter(null);
    }
    const port = ring;
    self = PacketPort.open({ interface: d.selfIface, txOnly: true });
    flows.size = Atomics.load(control, CONTROL_FLOWS);
    const decider = new Decider(services, new FlowRouter(flows, reader!), counters);
    const hops = (): NextHop[] => Array.from({ length: d.nodeCount }, (_, i) => ({
      port: i === d.selfIndex ? self! : port, dstMac: macs.slice(6 * i, 6 * i + 6),
    }));
    const answer = (frame: Uint8Array): void => {
      const reply = answerFor(frame, port.mac, echoAllowed);
      if (reply) port.send(reply);
    };
    send({ type: 'ready' });
    const total = { received: 0, forwarded: 0 };
    for (;;) {
      const s = runForwardLoop({ port, reader: reader!, decider, hops: hops(), stop: control, onConsumed: answer, ringDropsCounted });
      ringDropsCounted = s.ringDrops;
      total.received += s.received;
      total.forwarded += s.forwarded;
      if (Atomics.compareExchange(control, 0, Control.RELOAD_HOPS, Control.RUN) !== Control.RELOAD_HOPS) break;
    }
    return { type: 'stopped', ...total };
  } catch (e) {
    return { type: 'failed', code: isLbError(e) ? e.code : 'ERR_SCHEDULER_WORKER', message: (e as Error).message };
  } finally {
    self?.close();
    standBy();
    reader?.release();
  }
}

// Back to refusing frames; a ring that cannot (closed under us, say) is dropped and opened again
// at the next activation.
function standBy(): void {
  if (!ring) return;
  try {
    ring.setFilter(DROP_ALL);
    discard(ring, SETTLE_MS);
  } catch {
    ring.close();
    ring = null;
  }
  publishFd();
}

send({ type: 'parked', standbyError });
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
ring?.close();
