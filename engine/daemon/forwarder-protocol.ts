// What the scheduler part and its forwarding threads share: the worker's start data, its
// messages, and the values of its control word (one Int32 per thread, read between batches).
import type { ServiceSpec } from '../scheduler/service-set.js';

export const Control = {
  /** Keep forwarding. */
  RUN: 0,
  /** Leave the loop and exit. */
  STOP: 1,
  /** Leave the loop, install the next hops again (MACs changed), continue. */
  RELOAD_HOPS: 2,
} as const;

export interface ForwarderData {
  iface: string;
  fanoutGroup: number;
  ring: { blockSize: number; blockCount: number; frameSize: number };
  /** TablePublisher.buffer and this thread's reader slot. */
  table: SharedArrayBuffer;
  readerId: number;
  services: ServiceSpec[];
  flowCapacity: number;
  flowIdleMs: number;
  nodeCount: number;
  /** Index of this node in the node list (frames Maglev gives it take the self-delivery path). */
  selfIndex: number;
  /** The veth end frames for this node are sent on, and the MAC of its far end. */
  selfPath: { iface: string; peerMac: string } | null;
  /** 6 bytes per node: the destination MAC of each node (all zero: unknown, the node takes no flows). */
  macs: SharedArrayBuffer;
  /** SchedulerCounters of this thread, read by the control plane. */
  counters: SharedArrayBuffer;
  /** One Int32: a Control value. */
  control: SharedArrayBuffer;
}

export type ForwarderMessage =
  | { type: 'ready' }
  | { type: 'failed'; code: string; message: string }
  | { type: 'stopped'; received: number; forwarded: number };
