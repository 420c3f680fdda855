// A UDP socket between the nodes of one array (flow sync, persistence sync). It binds the
// family's wildcard address (this host's own address may come later than the daemon) and takes
// datagrams only from the configured nodes' addresses: any other sender is counted and ignored.
// Sending is best effort: a failed send is logged at debug level, never thrown.
import dgram from 'node:dgram';
import { setTimeout as sleep } from 'node:timers/promises';
import { canonicalAddress } from '../config/address.js';
import { LbError } from '../errors.js';
import type { Logger } from '../log.js';

/** Datagrams sent back to back before a long send (a dump) yields: the receiver's socket buffer is finite. */
const BURST = 32;

export interface PeerSocketOptions {
  /** Each configured node's address (index = node index); undefined for this node and nodes without one. */
  peers: ReadonlyArray<string | undefined>;
  /** The address to bind (the daemon: the family's wildcard) and the port, the same on every node. */
  address: string;
  port: number;
  v6: boolean;
  /** Named in errors: what uses the socket and the setting of its port ("scheduler.flowSync.port"). */
  what: string;
  setting: string;
  /** The error code of a failed bind. */
  bindError: string;
  log: Logger;
}

export class PeerSocket {
  /** Datagrams sent; datagrams from addresses that are not a peer's (ignored). */
  readonly counters = { sent: 0, foreign: 0 };
  /** The other nodes' addresses, canonical (as the socket reports a sender's). */
  readonly peers: ReadonlySet<string>;

  private constructor(private readonly socket: dgram.Socket, private readonly o: PeerSocketOptions,
    receive: (msg: Buffer, from: string) => void) {
    this.peers = new Set(o.peers.flatMap((a) => (a === undefined ? [] : [canonicalAddress(a)])));
    socket.on('message', (msg, from) => {
      if (this.peers.has(canonicalAddress(from.address))) receive(msg, from.address);
      else this.counters.foreign++;
    });
    socket.on('error', (e) => o.log.warn({ err: e.message }, `${o.what} socket error`));
  }

  /** Binds the socket; `receive` gets each datagram from a peer. */
  static async open(o: PeerSocketOptions, receive: (msg: Buffer, from: string) => void): Promise<PeerSocket> {
    const socket = dgram.createSocket({ type: o.v6 ? 'udp6' : 'udp4', recvBufferSize: 4 << 20 });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', (e) => reject(new LbError(o.bindError, `${o.what} cannot use UDP port ${o.port} (${o.setting}): ${e.message}.`)));
      socket.bind(o.port, o.address, () => { socket.removeAllListeners('error'); resolve(); });
    });
    return new PeerSocket(socket, o, receive);
  }

  toPeers(datagrams: readonly Buffer[]): void {
    for (const d of datagrams) {
      for (const address of this.peers) this.send(d, address);
    }
  }

  send(d: Buffer, address: string): void {
    this.counters.sent++;
    this.socket.send(d, this.o.port, address, (e) => { if (e) this.o.log.debug({ err: e.message, address }, `${this.o.what} send failed`); });
  }

  /** Many datagrams to one peer (a dump), in bursts, yielding between them. */
  async sendPaced(datagrams: readonly Buffer[], address: string): Promise<void> {
    for (let i = 0; i < datagrams.length; i++) {
      this.send(datagrams[i]!, address);
      if (i % BURST === BURST - 1) await sleep(1);
    }
  }

  close(): void { this.socket.close(); }
}
