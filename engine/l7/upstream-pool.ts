// Keep-alive connections to one back-end server (claim 12: persistent connections in its paths).
// Idle connections are reused most-recent first, so the least used ones age out after
// `idleTimeoutMs`; at most `max` connections exist (in use + idle), further requests wait, and at
// most `maxIdle` stay open between requests (nginx's `keepalive N`): a burst's extra connections close.
// Each connection forwards its events to its current owner: no listener churn per request.
import net from 'node:net';
import tls from 'node:tls';
import type { UpstreamTlsOptions } from './types.js';
import { READ_BYTES } from './shared-reads.js';

/** What a client connection implements to receive an upstream connection's events. */
export interface UpstreamOwner {
  onUpstreamData(chunk: Buffer): void;
  onUpstreamEnd(): void;
  onUpstreamError(err: Error & { code?: string }): void;
  onUpstreamDrain(): void;
  /** A queued owner receives a connection. */
  onUpstreamGranted(conn: UpstreamConnection): void;
}

// Reads land in a buffer the connection reuses (net's `onread`): no Buffer and no 'data' event per
// read. The owner handles each read before the callback returns; when bytes of a read must outlive
// it (a write the client socket queued, a partial head), the owner calls lend() and the next read
// gets a new buffer (a buffer per connection: lent bytes of one must not be overwritten by another's read).

/** The socket a pool dials, given the read callbacks it must use. */
type Dial = (onread: { buffer: () => Buffer; callback: (n: number, buf: Buffer) => boolean }) => net.Socket;

export class UpstreamConnection {
  owner: UpstreamOwner | null = null;
  /** False until the first request on it completes: a reused connection may have been closed by the server meanwhile. */
  reused = false;
  idleSince = 0;
  closed = false;
  /** The TCP (and TLS) connection was established: a request may have reached the server. */
  connected = false;
  /** After a 101: the client socket the reads go to. */
  private tunnelTo: net.Socket | null = null;
  private readBuffer = Buffer.allocUnsafeSlow(READ_BYTES);
  private lent = false;
  readonly socket: net.Socket;
  constructor(dial: Dial, private readonly pool: UpstreamPool) {
    const socket = (this.socket = dial({ buffer: () => this.nextBuffer(), callback: (n, buf) => this.onRead(n === buf.length ? buf : buf.subarray(0, n)) }));
    socket.on('end', () => {
      this.closed = true;
      if (this.tunnelTo !== null) { this.tunnelTo.end(); return; }
      if (this.owner !== null) this.owner.onUpstreamEnd();
      socket.destroy();
    });
    socket.on('error', (err) => {
      this.closed = true;
      if (this.owner !== null) this.owner.onUpstreamError(err);
    });
    socket.on('drain', () => { if (this.owner !== null) this.owner.onUpstreamDrain(); });
    socket.on('close', () => {
      if (this.tunnelTo !== null) { this.pool.forget(this); return; }
      this.closed = true;
      const o = this.owner;
      this.owner = null;
      this.pool.forget(this);
      if (o !== null) o.onUpstreamError(Object.assign(new Error('The back-end closed the connection.'), { code: 'ECONNRESET' }));
    });
  }

  /** The bytes of the current read stay in use after it returns: the next read needs a new buffer. */
  lend(): void { this.lent = true; }

  /** Called by net before the first read and after each one. */
  private nextBuffer(): Buffer {
    if (this.lent) {
      this.lent = false;
      this.readBuffer = Buffer.allocUnsafeSlow(READ_BYTES);
    }
    return this.readBuffer;
  }

  /** False stops reading (the client socket is full); resume() restarts it. */
  private onRead(chunk: Buffer): boolean {
    const client = this.tunnelTo;
    if (client !== null) return writeLending(client, chunk, this);
    if (this.owner !== null) this.owner.onUpstreamData(chunk);
    else this.socket.destroy(); // bytes on an idle connection: the server broke the framing
    return true;
  }

  /** After a 101 the socket belongs to a tunnel to `client`: reads go there unframed; the slot is kept until it closes. */
  startTunnel(client: net.Socket): void {
    this.tunnelTo = client;
    this.owner = null;
    this.socket.removeAllListeners('drain');
    client.on('drain', () => this.socket.resume());
  }
}

/** Writes `bytes` of `from`'s current read to `to`; lends the read when `to` queued them. False: `to` is full. */
export function writeLending(to: net.Socket, bytes: Buffer, from: UpstreamConnection | null): boolean {
  const ok = to.write(bytes);
  if (from !== null && to.writableLength > 0) from.lend();
  return ok;
}

/** Drops a connection that cannot serve another request. */
export function discard(conn: UpstreamConnection): void {
  conn.owner = null;
  conn.closed = true;
  conn.socket.destroy();
}

export interface UpstreamPoolOptions {
  host: string;
  port: number;
  max: number;
  /** Idle connections kept for reuse; more are closed when their exchange ends (0: no upstream keep-alive). */
  maxIdle: number;
  idleTimeoutMs: number;
  connectTimeoutMs: number;
  tls?: UpstreamTlsOptions;
}

export class UpstreamPool {
  private readonly idle: UpstreamConnection[] = [];
  private readonly waiting: UpstreamOwner[] = [];
  private count = 0;
  /** Counters: connections opened, and requests that reused an idle connection. */
  opened = 0;
  reuses = 0;
  constructor(readonly options: UpstreamPoolOptions) {}

  get size(): number { return this.count; }
  get idleCount(): number { return this.idle.length; }

  /**
   * An idle or new connection for `owner`, or null when the pool is full (the owner is queued
   * and gets one through onGranted). `fresh` skips idle connections (a retry after a reused one failed).
   */
  acquire(owner: UpstreamOwner, fresh = false): UpstreamConnection | null {
    while (!fresh && this.idle.length > 0) {
      const c = this.idle.pop()!;
      if (c.closed) continue;
      c.owner = owner;
      this.reuses++;
      return c;
    }
    if (this.count >= this.options.max) {
      this.waiting.push(owner);
      return null;
    }
    return this.open(owner);
  }

  /** Withdraws a queued owner (its client went away). */
  cancel(owner: UpstreamOwner): void {
    const i = this.waiting.indexOf(owner);
    if (i >= 0) this.waiting.splice(i, 1);
  }

  private open(owner: UpstreamOwner): UpstreamConnection {
    const o = this.options;
    const conn = new UpstreamConnection((onread) => o.tls === undefined
      ? net.connect({ host: o.host, port: o.port, noDelay: true, onread })
      : tls.connect({ host: o.host, port: o.port, servername: o.tls.servername ?? (net.isIP(o.host) ? undefined : o.host), ca: o.tls.ca,
        // tls.connect takes onread too (documented), though @types/node does not list it.
        rejectUnauthorized: o.tls.rejectUnauthorized ?? false, ALPNProtocols: ['http/1.1'], onread } as tls.ConnectionOptions).setNoDelay(true), this);
    const socket = conn.socket;
    conn.owner = owner;
    this.count++;
    this.opened++;
    // Connects are rare with keep-alive, so a plain timer per connect attempt is cheap enough.
    const timer = setTimeout(() => {
      socket.destroy(Object.assign(new Error('Connecting to the back-end timed out.'), { code: 'ETIMEDOUT' }));
    }, o.connectTimeoutMs);
    socket.once(o.tls === undefined ? 'connect' : 'secureConnect', () => { clearTimeout(timer); conn.connected = true; });
    socket.once('close', () => clearTimeout(timer));
    return conn;
  }

  /** Returns a connection whose exchange completed cleanly; it serves a waiter or goes idle. */
  release(conn: UpstreamConnection, now: number): void {
    conn.owner = null;
    conn.reused = true;
    if (conn.closed) return;
    const next = this.waiting.shift();
    if (next !== undefined) {
      conn.owner = next;
      this.reuses++;
      next.onUpstreamGranted(conn);
      return;
    }
    if (this.idle.length >= this.options.maxIdle) {
      discard(conn);
      return;
    }
    conn.idleSince = now;
    this.idle.push(conn);
  }

  /** Called when a connection's socket closed, whoever held it. */
  forget(conn: UpstreamConnection): void {
    this.count--;
    const i = this.idle.indexOf(conn);
    if (i >= 0) this.idle.splice(i, 1);
    // A slot freed: open a connection for the first waiter.
    const next = this.waiting.shift();
    if (next !== undefined) next.onUpstreamGranted(this.open(next));
  }

  /** Closes idle connections older than the idle timeout (called from the worker's clock). */
  sweep(now: number): void {
    const limit = now - this.options.idleTimeoutMs;
    // Oldest first: the array is ordered by release time.
    while (this.idle.length > 0 && this.idle[0].idleSince <= limit) this.idle.shift()!.socket.destroy();
  }

  close(): void {
    for (const c of this.idle.splice(0)) c.socket.destroy();
  }
}
