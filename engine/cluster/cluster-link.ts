// The cluster's wire: one small AF_PACKET port on the node's cluster interface, read on the main
// thread by a short poll (receive with timeout 0), so control frames (VRRP adverts, health-probe
// answers) reach their handlers within one poll period. At 100 ms adverts a 5 ms poll adds at most
// 5 ms to a takeover and costs ~200 empty receive() calls a second.
//
// A socket filter (link-filter.ts) keeps only VRRP and the answers to node probes, so the client
// traffic on the same interface costs this ring and the main thread nothing; handlers look at a
// few header bytes and return. Blocks retire after 1 ms: 16 blocks give 16 ms of slack between
// polls; overruns show in `stats().rxDrops`.
import { PacketPort, type PortStats } from '../ring/port.js';
import { clusterLinkFilter } from './link-filter.js';

export type FrameHandler = (frame: Uint8Array) => void;

export interface ClusterLinkOptions {
  interface: string;
  /** Poll period in ms (default 5). */
  pollMs?: number;
  /** Open the port in this network namespace (tests); default: the caller's. */
  netns?: string;
  /** The service port node probes go to: their answers come from it (default: every frame is kept). */
  probePort?: number;
}

const KiB = 1024;

export class ClusterLink {
  readonly port: PacketPort;
  readonly #handlers = new Set<FrameHandler>();
  readonly #timer: NodeJS.Timeout;

  constructor(opts: ClusterLinkOptions) {
    this.port = PacketPort.open({
      interface: opts.interface, netns: opts.netns, blockSize: 64 * KiB, blockCount: 16, batchSize: 64,
      txFrameCount: 64, vnetHdr: false,
      ...(opts.probePort === undefined ? {} : { filter: clusterLinkFilter(opts.probePort) }),
    });
    this.#timer = setInterval(() => this.poll(), opts.pollMs ?? 5);
    this.#timer.unref();
  }

  get mac(): Uint8Array {
    return this.port.mac;
  }

  /** Frames are views into the ring, valid only during the call. */
  onFrame(handler: FrameHandler): () => void {
    this.#handlers.add(handler);
    return () => this.#handlers.delete(handler);
  }

  /** Reads everything waiting and hands each frame to every handler. */
  poll(): void {
    if (this.port.closed) return;
    for (;;) {
      const n = this.port.receive(this.port.batchSize, 0);
      for (let i = 0; i < n; i++) {
        const frame = this.port.frame(i);
        for (const h of this.#handlers) h(frame);
      }
      if (n < this.port.batchSize) break;
    }
  }

  send(frame: Uint8Array): void {
    if (!this.port.closed) this.port.send(frame);
  }

  stats(): PortStats {
    return this.port.stats();
  }

  close(): void {
    clearInterval(this.#timer);
    this.#handlers.clear();
    this.port.close();
  }
}
