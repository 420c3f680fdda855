// PacketPort: one AF_PACKET socket on one interface, with an RX ring (TPACKET_V3 blocks or TPACKET_V2 frames)
// mapped into JS (zero copy) and a batched TX path. The hot loop is
//
//   const n = port.receive(256, 10);            // one crossing, n frames
//   for (let i = 0; i < n; i++) decisions[i] = decide(port.frame(i)...);
//   port.forward(decisions, n);                 // one crossing: rewrite, checksum, TX
//
// Frames are views into the ring (port.ring, at the offsets in
// port.descriptors) and stay valid until the next receive(), release() or close().
import { LbError } from '../errors.js';
import { native, type NativePort, type NativePortOptions, type NativeStats } from '../native.js';
import { callNative } from './native-error.js';
import { DESCRIPTOR_STRIDE, DESC_FLAGS, DESC_LENGTH, DESC_OFFSET, DESC_VLAN } from './constants.js';
import { formatMac, parseMac } from './mac.js';
import * as is from './validate.js';

export const FANOUT_MODES = ['hash', 'lb', 'cpu', 'rollover', 'random', 'qm'] as const;
export type FanoutMode = (typeof FANOUT_MODES)[number];
export type TxMode = 'ring' | 'sendmmsg';

export interface PacketPortOptions {
  /** Interface name, e.g. "veth0". */
  interface: string;
  /** Open the socket inside this network namespace (a name under /var/run/netns or a path such as
   *  /proc/PID/ns/net). The calling thread is not moved: the addon opens the socket on a short-lived
   *  thread that joins the namespace; the socket stays bound to that namespace's interface. */
  netns?: string;
  /** RX ring block size in bytes: a power of two, a multiple of the page size, at least 64 KiB.
   *  Default 128 KiB: a 64 KiB GSO super-frame fits whole, and ~800 64-byte frames per block. */
  blockSize?: number;
  /** RX ring blocks. Default 128 (16 MiB in all). At low rates every block retires after retireMs
   *  holding few frames, so blockCount × retireMs is how long the reader may stall without drops
   *  (128 ms by default); at high rates blocks fill first (~100 k 64-byte frames of slack). */
  blockCount?: number;
  /** Nominal frame slot (TPACKET_V3 packs frames tightly; this only sizes tp_frame_nr). Default 2048. */
  frameSize?: number;
  /** Block retire timeout in ms: how long a partly filled block waits before user space sees it
   *  (TPACKET_V3 wakes the reader per block). The added latency at low rates. Default 1. */
  retireMs?: number;
  /** RX ring kind. "blocks" (default): TPACKET_V3, frames packed in blocks, one wakeup per block:
   *  least CPU per frame at high rates, but a frame waits up to retireMs at low rates. "frames":
   *  TPACKET_V2, one slot of frameSize bytes per frame, each handed over as soon as the kernel wrote
   *  it: the latency mode. A frame longer than a slot is truncated (flagged, and the forwarder drops
   *  it), so with vnetHdr (GSO super-frames) use slots of 64 KiB + 128 if such frames can arrive.
   *  Needs txMode "sendmmsg". */
  rxMode?: 'blocks' | 'frames';
  /** Microseconds receive() watches the ring for frames before it sleeps in poll() (0, the
   *  default: it sleeps at once). The wakeup of a sleeping reader is most of the latency a frame
   *  sees in the frames mode; a spinning reader keeps its core busy while traffic flows. */
  busyPollUs?: number;
  /** TX path: "ring" (TPACKET_V3 TX ring, one send() per flush) or "sendmmsg" (one sendmmsg() per flush).
   *  Default "sendmmsg": measured 7-14% less CPU per frame than the TX ring (perf/addon/ring-paths.ts). */
  txMode?: TxMode;
  /** TX ring slot size (must hold MTU + 14 + 48). Default 2048. */
  txFrameSize?: number;
  /** TX ring slots. Default 1024. */
  txFrameCount?: number;
  /** Most frames one receive() returns, and the size of `descriptors`. Default 256. */
  batchSize?: number;
  /** PACKET_QDISC_BYPASS: send straight to the driver. Default true. */
  qdiscBypass?: boolean;
  /** PACKET_IGNORE_OUTGOING: the RX ring does not see frames this host sends. Default true. */
  ignoreOutgoing?: boolean;
  /** PACKET_VNET_HDR on RX and TX: partial checksums (and GSO super-frames) of locally sent traffic
   *  are carried through to the kernel instead of completed in C++. Default true: measured cheaper
   *  per forwarded frame (0.86-0.96x CPU) and the only way to forward TSO/GSO frames whole; it costs
   *  ~4% CPU per frame on frames that had full checksums anyway (perf/addon/ring-paths.ts).
   *  Mixed ports work: a frame leaving a port without it has its checksum completed in C++ and a
   *  GSO frame is dropped (counted). */
  vnetHdr?: boolean;
  /** A port that only sends: no RX ring (16 MiB saved) and no tap on the interface (bound to
   *  protocol 0), so frames leaving it skip the kernel's per-tap check. receive() is refused. */
  txOnly?: boolean;
  /** Join PACKET_FANOUT group `id` (0..65535): sockets of one group on one interface share its traffic. */
  fanout?: { group: number; mode?: FanoutMode };
  /** A classic BPF program run by the kernel on every frame before the ring (SO_ATTACH_FILTER):
   *  4 words per instruction (code, jt, jf, k); frames it refuses cost the ring and JS nothing. */
  filter?: Uint32Array;
}

/** A socket filter that refuses every frame (BPF "ret #0"): the ring stays mapped and in its
 *  fanout group, and costs nothing per frame until the filter is replaced. */
export const DROP_ALL: Uint32Array = Uint32Array.of(0x06, 0, 0, 0);

/** setFilter() for a port that another thread owns, by its `fd`: the control plane lets frames
 *  into a standing-by ring at once, and its reader finds them there when it wakes. */
export function setSocketFilter(fd: number, filter: Uint32Array | null): void {
  is.integer(fd, 'fd', 0, 2 ** 31 - 1);
  callNative(() => native.setSocketFilter(fd, filter === null ? null : socketFilter(filter)));
}

/** One next hop: the port to send on and the MACs to write. */
export interface NextHop {
  port: PacketPort;
  /** Destination MAC: "aa:bb:cc:dd:ee:ff" or 6 bytes. */
  dstMac: string | Uint8Array;
  /** Source MAC; default the output port's own MAC. */
  srcMac?: string | Uint8Array;
}

/** Counters since open: kernel ones (PACKET_STATISTICS, accumulated) and the addon's own. */
export type PortStats = NativeStats;

const KiB = 1024;
const MiB = 1024 * KiB;

function socketFilter(f: unknown): Uint32Array {
  if (!(f instanceof Uint32Array) || f.length === 0 || f.length % 4 !== 0 || f.length > 4 * 4096) {
    throw is.invalid('a Uint32Array of 1 to 4096 BPF instructions (4 words each)', 'filter', f);
  }
  return f;
}

function nativeOptions(opts: PacketPortOptions): NativePortOptions {
  if (typeof opts !== 'object' || opts === null) throw is.invalid('an options object', 'PacketPort.open()', opts);
  const fanout = opts.fanout;
  if (fanout !== undefined && (typeof fanout !== 'object' || fanout === null)) {
    throw is.invalid('an object { group, mode }', 'fanout', fanout);
  }
  return {
    interface: is.string(opts.interface, 'interface', /^[^\s/:]{1,15}$/),
    netns: opts.netns === undefined ? '' : is.string(opts.netns, 'netns'),
    blockSize: is.powerOfTwo(opts.blockSize ?? 128 * KiB, 'blockSize', 64 * KiB, 1024 * MiB),
    blockCount: is.integer(opts.blockCount ?? 128, 'blockCount', 2, 1 << 20),
    frameSize: is.powerOfTwo(opts.frameSize ?? 2048, 'frameSize', 128, 1 << 20),
    retireMs: is.integer(opts.retireMs ?? 1, 'retireMs', 1, 10_000),
    rxMode: is.oneOf(opts.rxMode ?? 'blocks', 'rxMode', ['blocks', 'frames'] as const),
    busyPollUs: is.integer(opts.busyPollUs ?? 0, 'busyPollUs', 0, 1_000_000),
    txMode: is.oneOf(opts.txMode ?? 'sendmmsg', 'txMode', ['ring', 'sendmmsg'] as const),
    txFrameSize: is.powerOfTwo(opts.txFrameSize ?? 2048, 'txFrameSize', 256, 1 << 20),
    txFrameCount: is.integer(opts.txFrameCount ?? 1024, 'txFrameCount', 8, 1 << 20),
    batchSize: is.integer(opts.batchSize ?? 256, 'batchSize', 1, 65536),
    qdiscBypass: is.boolean(opts.qdiscBypass ?? true, 'qdiscBypass'),
    ignoreOutgoing: is.boolean(opts.ignoreOutgoing ?? true, 'ignoreOutgoing'),
    vnetHdr: is.boolean(opts.vnetHdr ?? true, 'vnetHdr'),
    txOnly: is.boolean(opts.txOnly ?? false, 'txOnly'),
    fanoutGroup: fanout === undefined ? -1 : is.integer(fanout.group, 'fanout.group', 0, 65535),
    fanoutMode: is.oneOf(fanout?.mode ?? 'hash', 'fanout.mode', FANOUT_MODES),
    ...(opts.filter === undefined ? {} : { filter: socketFilter(opts.filter) }),
  };
}

export class PacketPort {
  readonly interface: string;
  /** Kernel interface index. */
  readonly ifindex: number;
  /** The interface's MAC address (6 bytes) and its text form. */
  readonly mac: Uint8Array;
  readonly macText: string;
  readonly mtu: number;
  /** The socket: for setSocketFilter() from another thread. */
  readonly fd: number;
  /** The RX ring, mapped once (external ArrayBuffer): frames are views into it. Detached by close(). */
  readonly ring: ArrayBuffer;
  /** One DESCRIPTOR_STRIDE group of int32 per frame of the current batch: offset into `ring`,
   *  length, FrameFlag bits, VLAN (TCI | TPID << 16). Overwritten by every receive(). */
  readonly descriptors: Int32Array;
  readonly batchSize: number;
  readonly txOnly: boolean;
  #native: NativePort;
  #lastCount = 0;
  #closed = false;

  private constructor(name: string, nativePort: NativePort, batchSize: number, txOnly: boolean) {
    this.interface = name;
    this.txOnly = txOnly;
    this.#native = nativePort;
    this.ifindex = nativePort.ifindex;
    this.mac = nativePort.mac;
    this.macText = formatMac(nativePort.mac);
    this.mtu = nativePort.mtu;
    this.fd = nativePort.fd;
    this.ring = nativePort.ring;
    this.descriptors = nativePort.descriptors;
    this.batchSize = batchSize;
  }

  /** Opens the socket, maps the rings. Throws LbError: ERR_NO_PRIVILEGE, ERR_NO_SUCH_INTERFACE,
   *  ERR_INTERFACE_DOWN, ERR_RING_TOO_LARGE, ERR_NO_SUCH_NAMESPACE, ERR_INVALID_ARG. */
  static open(opts: PacketPortOptions): PacketPort {
    const o = nativeOptions(opts);
    const p = callNative(() => new native.PacketPort(o));
    return new PacketPort(o.interface, p, o.batchSize, o.txOnly);
  }

  /** Waits up to timeoutMs (0: don't wait, -1: forever) for frames; returns how many (≤ maxFrames,
   *  ≤ batchSize) are described in `descriptors`. Releases the previous batch to the kernel first. */
  receive(maxFrames: number = this.batchSize, timeoutMs = 10): number {
    this.#open();
    if (this.txOnly) throw new LbError('ERR_INVALID_ARG', `The packet port on ${this.interface} is TX-only: it cannot receive.`);
    is.integer(maxFrames, 'maxFrames', 1, this.batchSize);
    is.integer(timeoutMs, 'timeoutMs', -1, 2 ** 31 - 1);
    this.#lastCount = this.#native.receive(maxFrames, timeoutMs);
    return this.#lastCount;
  }

  /** Hands the current batch back to the kernel without receiving more. */
  release(): void {
    this.#open();
    this.#native.release();
    this.#lastCount = 0;
  }

  /** A view of frame i of the current batch (allocates: for tests and slow paths). */
  frame(i: number): Uint8Array {
    is.integer(i, 'frame index', 0, this.#lastCount - 1);
    const d = this.descriptors;
    return new Uint8Array(this.ring, d[i * DESCRIPTOR_STRIDE + DESC_OFFSET], d[i * DESCRIPTOR_STRIDE + DESC_LENGTH]);
  }

  /** FrameFlag bits of frame i; VLAN word of frame i. */
  flags(i: number): number {
    return this.descriptors[i * DESCRIPTOR_STRIDE + DESC_FLAGS];
  }
  vlan(i: number): number {
    return this.descriptors[i * DESCRIPTOR_STRIDE + DESC_VLAN];
  }

  /** Applies decisions[0..count) to the current batch: index ≥ 0 = next hop (rewrite MACs, complete
   *  partial checksums or carry them with vnetHdr, queue on that hop's port), Decision.DROP,
   *  Decision.CONSUMED. Then flushes every output port once. Returns frames queued for TX. */
  forward(decisions: Int32Array, count: number): number {
    this.#open();
    is.integer(count, 'count', 0, this.#lastCount);
    is.int32s(decisions, 'decisions', count);
    return this.#native.forward(decisions, count);
  }

  /** Installs the next-hop table read by forward() (build it off the hot path; this copies it). */
  setNextHops(hops: readonly NextHop[]): void {
    this.#open();
    if (!Array.isArray(hops)) throw is.invalid('an array of next hops', 'setNextHops()', hops);
    const ports: PacketPort[] = [];
    const portIndex = new Int32Array(hops.length);
    const macs = new Uint8Array(hops.length * 12);
    hops.forEach((hop, i) => {
      if (!(hop?.port instanceof PacketPort)) throw is.invalid('a PacketPort', `next hop ${i} port`, hop?.port);
      hop.port.#open();
      let k = ports.indexOf(hop.port);
      if (k < 0) k = ports.push(hop.port) - 1;
      portIndex[i] = k;
      macs.set(parseMac(hop.dstMac, `next hop ${i} dstMac`), i * 12);
      macs.set(hop.srcMac === undefined ? hop.port.mac : parseMac(hop.srcMac, `next hop ${i} srcMac`), i * 12 + 6);
    });
    this.#native.setNextHops(ports.map((p) => p.#native), portIndex, macs);
  }

  /** Sends frames that TypeScript built (ARP/NDP replies...): frame i is buf[offsets[i], +lengths[i]).
   *  One syscall for the batch. Returns frames queued. */
  sendFrames(buf: Uint8Array, offsets: Int32Array, lengths: Int32Array, count: number): number {
    this.#open();
    is.bytes(buf, 'buf');
    is.integer(count, 'count', 0, 65536);
    is.int32s(offsets, 'offsets', count);
    is.int32s(lengths, 'lengths', count);
    for (let i = 0; i < count; i++) {
      if (offsets[i] < 0 || lengths[i] < 14 || offsets[i] + lengths[i] > buf.length) {
        throw is.invalid(`a frame of 14 bytes or more inside buf (${buf.length} bytes)`, `frame ${i}`, `${offsets[i]}+${lengths[i]}`);
      }
    }
    return this.#native.sendFrames(buf, offsets, lengths, count);
  }

  /** Sends one frame (convenience for control-plane code). */
  send(frame: Uint8Array): number {
    return this.sendFrames(frame, Int32Array.of(0), Int32Array.of(frame.length), 1);
  }

  /** Replaces the socket filter (as the `filter` option), or removes it with null. The kernel swaps
   *  it in one step: a ring opened with DROP_ALL stands by on the interface and starts taking
   *  frames the moment the filter goes. */
  setFilter(filter: Uint32Array | null): void {
    this.#open();
    if (this.txOnly) throw new LbError('ERR_INVALID_ARG', `The packet port on ${this.interface} is TX-only: it has no filter.`);
    callNative(() => this.#native.setFilter(filter === null ? null : socketFilter(filter)));
  }

  stats(): PortStats {
    this.#open();
    return this.#native.stats();
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Closes the socket, unmaps the rings and detaches `ring` (old views read as empty). Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#native.close();
  }

  #open(): void {
    if (this.#closed) throw new LbError('ERR_PORT_CLOSED', `The packet port on ${this.interface} is closed.`);
  }
}
