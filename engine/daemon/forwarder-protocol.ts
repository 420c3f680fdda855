// What the scheduler part and its forwarding threads share: the worker's start data, its
// messages, and its control words. A thread is started once per daemon with its ring standing by,
// and parked until this node becomes the scheduler, so taking over costs a filter swap.
import type { ServiceSpec } from '../scheduler/service-set.js';

/** Values of control word 0, read between batches (the loop runs while it is RUN). */
export const Control = {
  /** Keep forwarding (or: start forwarding, when set on a parked thread). */
  RUN: 0,
  /** Leave the loop, make the ring refuse frames again, park. */
  STOP: 1,
  /** Leave the loop, install the next hops again (MACs changed), continue. */
  RELOAD_HOPS: 2,
  /** Waiting (Atomics.wait) for RUN or EXIT. */
  PARKED: 3,
  /** Exit the thread. */
  EXIT: 4,
} as const;

/** Control word 1: the table reader slot of the current session. */
export const CONTROL_READER = 1;
/** Control word 2: the entries in the thread's flow table at RUN (the control plane counts them as
 *  it writes; a count by the thread would scan the whole table on the takeover path). */
export const CONTROL_FLOWS = 2;
/** Control word 3: the thread's standing-by ring socket, or -1. Written by the thread while it is
 *  parked or starting; the control plane lifts its filter on activation (setSocketFilter), so
 *  frames wait in the ring while the thread wakes. */
export const CONTROL_RING_FD = 3;
export const CONTROL_WORDS = 4;

export interface ForwarderData {
  index: number;
  iface: string;
  fanoutGroup: number;
  ring: { blockSize: number; blockCount: number; frameSize: number; rxMode: 'blocks' | 'frames'; busyPollUs: number };
  /** TablePublisher.buffer (the reader slot comes with each session, in CONTROL_READER). */
  table: SharedArrayBuffer;
  services: ServiceSpec[];
  flowCapacity: number;
  flowIdleMs: number;
  /** This thread's flow table memory (FlowTable.bytesFor(flowCapacity)): the control plane writes learned flows into it while the thread is parked. */
  flowTable: SharedArrayBuffer;
  /** This thread's FlowExport ring: flows it sees established, for flow sync. */
  flowExport: SharedArrayBuffer;
  nodeCount: number;
  /** Index of this node in the node list: its frames go out on `selfIface` (the self-delivery veth). */
  selfIndex: number;
  selfIface: string;
  /** 6 bytes per node: its destination MAC (this node's entry: the veth's far end). All zero: unknown. */
  macs: SharedArrayBuffer;
  /** SchedulerCounters of this thread, read by the control plane. */
  counters: SharedArrayBuffer;
  /** CONTROL_WORDS Int32s. */
  control: SharedArrayBuffer;
}

export type ForwarderMessage =
  /** standbyError: why the thread's ring could not be opened at start (the first activation tries again). */
  | { type: 'parked'; standbyError: string | null }
  | { type: 'ready' }
  | { type: 'failed'; code: string; message: string }
  | { type: 'stopped'; received: number; forwarded: number };
