// Loads the C++ addon built by cmake-js and describes its (thin) surface.
// Callers use engine/ring/*.ts, which validates arguments before crossing.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import fs from 'node:fs';

function packageRoot(): string {
  const from = path.dirname(fileURLToPath(import.meta.url));
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    // At the root, dirname is the root again: without this the search never ended.
    if (path.dirname(dir) === dir) throw new Error(`No package.json above ${from}: cannot find the addon (build/Release/lbarray.node).`);
  }
}

/** Options as the addon takes them: already validated, every field present. */
export interface NativePortOptions {
  interface: string;
  netns: string;
  blockSize: number;
  blockCount: number;
  frameSize: number;
  retireMs: number;
  rxMode: 'blocks' | 'frames';
  busyPollUs: number;
  txMode: 'ring' | 'sendmmsg';
  txFrameSize: number;
  txFrameCount: number;
  batchSize: number;
  qdiscBypass: boolean;
  ignoreOutgoing: boolean;
  vnetHdr: boolean;
  txOnly: boolean;
  fanoutGroup: number;
  fanoutMode: string;
  /** Classic BPF, 4 words per instruction (SO_ATTACH_FILTER). */
  filter?: Uint32Array;
}

/** Counters since open. The kernel's (PACKET_STATISTICS) reset on every read: the addon accumulates. */
export interface NativeStats {
  /** Kernel tp_packets: frames the socket saw, drops included. */
  rxPackets: number;
  /** Kernel tp_drops: frames lost because the RX ring was full. */
  rxDrops: number;
  /** Kernel tp_freeze_q_cnt: times the ring froze with every block held by user space. */
  rxFreezeQueue: number;
  /** Frames handed to JS by receive(). */
  received: number;
  /** Frames forward() queued for TX. */
  forwarded: number;
  /** Frames forward() dropped: Decision.DROP, an index past the table, a truncated frame, no room for a VLAN tag,
   *  a GSO frame for a port without the vnet header, or a TX queue refusal. */
  dropped: number;
  /** Frames forward() left alone (Decision.CONSUMED). */
  consumed: number;
  /** Partial checksums forward() completed in C++. */
  checksumsCompleted: number;
  /** Frames this port handed to the kernel for TX (forwarded here or sent with sendFrames). */
  txFrames: number;
  /** TX frames the kernel refused or the TX ring had no slot for. */
  txErrors: number;
  /** TX syscalls (send/sendmmsg): frames per syscall = txFrames / txSyscalls. */
  txSyscalls: number;
}

export interface NativePort {
  readonly ifindex: number;
  readonly mac: Uint8Array;
  readonly mtu: number;
  readonly fd: number;
  readonly ring: ArrayBuffer;
  readonly descriptors: Int32Array;
  receive(maxFrames: number, timeoutMs: number): number;
  release(): void;
  forward(decisions: Int32Array, count: number): number;
  setNextHops(ports: NativePort[], portIndex: Int32Array, macs: Uint8Array): void;
  sendFrames(buf: Uint8Array, offsets: Int32Array, lengths: Int32Array, count: number): number;
  stats(): NativeStats;
  setFilter(filter: Uint32Array | null): void;
  close(): void;
}

export interface NativeAddon {
  version(): string;
  PacketPort: new (options: NativePortOptions) => NativePort;
  setSocketFilter(fd: number, filter: Uint32Array | null): void;
  openReusePortListener(host: string, port: number, backlog: number): number;
  boundPort(fd: number): number;
  checksum(buf: Uint8Array): number;
  ipv4HeaderChecksum(buf: Uint8Array, offset: number): number;
  l4Checksum(frame: Uint8Array): number;
  completePartial(buf: Uint8Array, csumStart: number, csumOffset: number): boolean;
  completeFramePartial(frame: Uint8Array): boolean;
  checksumUpdate16(checksum: number, oldWord: number, newWord: number): number;
  rewriteBuffer(buf: Uint8Array, offsets: Int32Array, lengths: Int32Array, decisions: Int32Array,
    count: number, macTable: Uint8Array, flags: Int32Array | null): number;
  /**
   * The input (`held`'s latin1 bytes, then `chunk`) up to `to`, with `count` edits applied: each a
   * (start, end, text length) triple in `edits`, in order, not overlapping; their texts one after
   * another in `texts` (latin1). A new Buffer.
   */
  spliceLatin1(held: string, chunk: Uint8Array, to: number, edits: Int32Array, count: number, texts: string): Buffer;
}

const require = createRequire(import.meta.url);
export const native: NativeAddon = require(path.join(packageRoot(), 'build/Release/lbarray.node'));
