// One client connection: a small state machine that frames requests, forwards each to an
// upstream keep-alive connection, frames the response back, and only then reads the next
// request. One exchange at a time makes pipelining safe by construction: responses leave in
// request order, later requests wait in the read buffer (reading pauses when it grows).
// Bodies are forwarded as the Buffers that arrived (slices, no copies); only framing is counted.
// Client reads, plain or decrypted TLS, land in the thread's shared read buffer (shared-reads.ts):
// bytes kept past a read, or written on, are copied then.
import type net from 'node:net';
import type { BackendPool, ServerRuntime } from './backend-pool.js';
import type { CdnExchange, CdnOutcome, CdnRoute } from './cdn-route.js';
import type { AccessLog } from './access-log.js';
import type { RequestMetrics } from './request-metrics.js';
import type { Clock, Timed } from './clock.js';
import { errorPage } from './error-pages.js';
import { redirectLocation, redirectResponse, type RedirectRule } from './redirect.js';
import { forwardInfo, forwardRequestHead, forwardResponseHead, forwardSwitchingHead, type ForwardInfo } from './forward-head.js';
import { BodyFramer, requestBody } from './http/body.js';
import { HttpError } from './http/http-error.js';
import type { HeadLimits } from './http/limits.js';
import { parseRequestHead, parseResponseHead, responseBodyKind, type RequestHead, type ResponseHead } from './http/parser.js';
import type { RateLimiter } from './rate-limit.js';
import type { Router } from './routing.js';
import type { ProxyStats } from './stats.js';
import type { ClientTimeouts } from './types.js';
import { discard, writeLending, type UpstreamConnection, type UpstreamOwner } from './upstream-pool.js';
import { isSharedRead, readShared } from './shared-reads.js';
import type { HeaderRules } from './header-rules.js';
import type { RequestIds } from './request-id.js';
import { CompressedBody, compressedFields, compressionCoding, type CompressionOptions } from './compression.js';
import type { DataSink } from './http/chunked.js';

// Up to this many body bytes are copied into the head's Buffer (one write); more go as a second write.
const COPY_BODY_MAX = 16384;

export interface ServiceContext {
  router: Router<CdnRoute>;
  pools: Map<string, BackendPool>;
  limits: HeadLimits;
  /** Largest request body forwarded (Infinity: no limit); a larger one gets 413 and a closed connection. */
  maxBodyBytes: number;
  /** The service's header rules for requests to back-ends and for their responses, when it has any. */
  requestRules: HeaderRules | undefined;
  responseRules: HeaderRules | undefined;
  /** Request IDs, when the proxy gives them. */
  requestIds: RequestIds | undefined;
  /** Response compression, when on. */
  compression: CompressionOptions | undefined;
  timeouts: ClientTimeouts;
  via: string | undefined;
  clock: Clock;
  stats: ProxyStats;
  /** Passive health: a worker saw a connection error or a 5xx from this server. */
  onPassive(pool: string, server: string, kind: 'error' | '5xx'): void;
  /** The open client connections of the proxy (a graceful stop closes the idle ones). */
  clients: Set<ClientConnection>;
  /** A graceful stop is under way: every connection closes after its current exchange. */
  draining: boolean;
  /** The forwarding facts of the last client connection: the next one from the same address shares them. */
  lastForward?: ForwardInfo;
  /** One line per request when set. */
  accessLog: AccessLog | undefined;
  /** Counts for the node's metrics (this proxy's, all services). */
  metrics: RequestMetrics;
  /** The service's name (the connections gauge's label). */
  service: string;
  /** The node's per-client request rate limit, when configured. */
  rateLimit: RateLimiter | undefined;
  /** A redirect service: every request is answered with this redirect. */
  redirect: RedirectRule | undefined;
}

// CDN: a CDN route's page is being served by cdn-route.ts (no upstream connection of ours).
const HEAD = 0, QUEUED = 1, BODY = 2, WAIT = 3, TUNNEL = 4, CLOSED = 5, CDN = 6;
const T_NONE = 0, T_IDLE = 1, T_HEADERS = 2, T_BODY = 3, T_RESPONSE = 4;

export class ClientConnection implements UpstreamOwner, Timed {
  deadline = 0;
  private timer = T_NONE;
  private state = HEAD;
  private buf: Buffer | null = null;
  private searchFrom = 0;
  private driving = false;
  private corked: net.Socket | null = null;
  private clientEnded = false;
  private readingPaused = false;
  private upstreamPaused = false;
  // The exchange in progress.
  private req: RequestHead | null = null;
  private reqBody: BodyFramer | null = null;
  /** Latin1 text. */
  private reqHead: string | null = null;
  private reqBodySeen = false;
  private retried = false;
  private redispatches = 0;
  private pool: BackendPool | null = null;
  private server: ServerRuntime | null = null;
  private up: UpstreamConnection | null = null;
  private addHeaders = '';
  private rbuf: Buffer | null = null;
  private rsearch = 0;
  private res: ResponseHead | null = null;
  private resBody: BodyFramer | null = null;
  private resStarted = false;
  private closeAfter = false;
  /** The response body goes to the client through onData (decoded for an HTTP/1.0 client, or compressed), not as read. */
  private throughSink = false;
  /** The encoder of a compressed response, and whether the body is complete and being flushed. */
  private compressor: CompressedBody | null = null;
  private flushing = false;
  /** When the request head was complete (performance.now()): the request's duration. */
  private started = 0;
  /** The request's ID (proxy.requestId), and its field line. */
  private requestId: string | undefined = undefined;
  private requestIdLine = '';
  /** The status a CDN route answered with, for the metrics and the access log. */
  private cdn: CdnExchange | null = null;
  private readonly fwd: ForwardInfo;
  /** After a 101: the back-end socket the client's bytes go to. */
  private tunnelTo: net.Socket | null = null;

  constructor(private readonly socket: net.Socket, private readonly ctx: ServiceContext, proto: 'http' | 'https') {
    const address = socket.remoteAddress ?? '';
    const last = ctx.lastForward;
    this.fwd = last !== undefined && last.address === address ? last : (ctx.lastForward = forwardInfo(address, proto, ctx.via));
    ctx.stats.connections++;
    ctx.stats.accepted++;
    ctx.metrics.connections[ctx.service] = (ctx.metrics.connections[ctx.service] ?? 0) + 1;
    if (!readShared(socket, (chunk) => { this.receive(chunk); return true; })) socket.on('data', (d: Buffer) => this.receive(d));
    socket.on('end', () => this.onClientEnd());
    socket.on('error', () => {});
    socket.on('close', () => this.onClientClose());
    socket.on('drain', () => {
      if (this.compressor !== null) this.compressor.clientDrained();
      else this.resumeUpstream();
    });
    ctx.clock.add(this);
    ctx.clients.add(this);
    this.arm(T_IDLE, ctx.timeouts.headersMs);
  }

  /** Graceful stop: a connection between requests closes now, the others after their exchange. */
  closeIfIdle(): void {
    if (this.state === HEAD && this.buf === null) this.endClient();
  }

  private arm(kind: number, ms: number): void {
    this.timer = kind;
    this.deadline = this.ctx.clock.now + ms;
  }

  private receive(chunk: Buffer): void {
    if (this.tunnelTo !== null) {
      if (!this.tunnelTo.write(copyIfShared(chunk))) this.pauseReading();
      return;
    }
    if (this.buf === null || this.buf.length === 0) { this.buf = chunk; this.searchFrom = 0; } else {
      this.searchFrom = this.buf.length;
      this.buf = Buffer.concat([this.buf, chunk]);
    }
    this.drive();
    // What waits for later reads must not be in the buffer they land in.
    if (this.buf !== null) this.buf = copyIfShared(this.buf);
  }

  private consume(n: number): void {
    const b = this.buf!;
    this.buf = n >= b.length ? null : b.subarray(n);
    this.searchFrom = 0;
  }

  /** Runs the request side until it needs more bytes; re-entrant calls fold into the running loop. */
  private drive(): void {
    if (this.driving) return;
    this.driving = true;
    try {
      while (this.step()) { /* next state */ }
    } finally {
      this.driving = false;
      if (this.corked !== null) { this.corked.uncork(); this.corked = null; }
    }
  }

  private step(): boolean {
    switch (this.state) {
      case HEAD: {
        if (this.buf === null) {
          if (this.clientEnded) this.endClient();
          return false;
        }
        let head: RequestHead | null;
        try {
          head = parseRequestHead(this.buf, 0, this.ctx.limits, this.searchFrom);
        } catch (e) {
          this.fail(e instanceof HttpError ? e.status : 400, true);
          return false;
        }
        if (head === null) {
          if (this.timer !== T_HEADERS) this.arm(T_HEADERS, this.ctx.timeouts.headersMs);
          return false;
        }
        this.consume(head.headBytes);
        this.startRequest(head);
        return (this.state as number) !== CLOSED;
      }
      case BODY: {
        const body = this.reqBody!;
        if (this.buf !== null) {
          let n: number;
          try {
            n = body.consume(this.buf, 0, this.buf.length);
          } catch (e) {
            this.fail(e instanceof HttpError ? e.status : 400, true);
            return false;
          }
          if (n > 0) {
            this.reqBodySeen = true;
            const part = n === this.buf.length ? this.buf : this.buf.subarray(0, n);
            this.consume(n);
            if (this.up !== null && !this.up.socket.write(copyIfShared(part))) this.pauseReading();
          }
        }
        if (body.done) {
          this.state = WAIT;
          this.arm(T_RESPONSE, this.pool!.responseTimeoutMs);
          return true;
        }
        this.arm(T_BODY, this.ctx.timeouts.bodyMs);
        return false;
      }
      case WAIT:
      case CDN:
        // The next pipelined request waits here until this response is complete.
        if (this.buf !== null && this.buf.length > this.ctx.limits.maxHeaderBytes) this.pauseReading();
        return false;
      default:
        return false;
    }
  }

  private pauseReading(): void {
    if (!this.readingPaused) { this.readingPaused = true; this.socket.pause(); }
  }

  private resumeReading(): void {
    if (this.readingPaused) { this.readingPaused = false; this.socket.resume(); }
  }

  private startRequest(head: RequestHead): void {
    const ctx = this.ctx;
    ctx.stats.requests++;
    this.req = head;
    this.started = performance.now();
    if (ctx.requestIds !== undefined) this.nameRequest(ctx.requestIds, head);
    if (ctx.redirect !== undefined) {
      this.redirect(ctx.redirect, head);
      return;
    }
    const route = ctx.router.pick(head.host, head.target);
    const pool = ctx.pools.get(route.pool)!;
    this.reqBody = requestBody(head, ctx.maxBodyBytes);
    this.pool = pool;
    // Refused before a server is chosen, unread: the connection closes (nginx's client_max_body_size).
    if (head.contentLength > ctx.maxBodyBytes) {
      this.fail(413, true);
      return;
    }
    // Before a server is chosen: a refused request leaves no trace in the persistence tables.
    const limit = ctx.rateLimit;
    if (limit !== undefined && !limit.allow(this.fwd.address, Date.now())) {
      this.fail(429, !this.reqBody.done, limit.retryAfterSeconds);
      return;
    }
    const choice = pool.choose(head, this.fwd.address);
    if (choice === undefined) {
      this.fail(503, !this.reqBody.done);
      return;
    }
    this.server = choice.server;
    this.addHeaders = choice.addHeaders;
    pool.load[choice.server.index]++;
    const rules = ctx.requestRules;
    rules?.apply(head);
    if (route.cdn !== undefined && route.cdn.takes(head)) {
      this.serveCdn(route.cdn);
      return;
    }
    this.reqHead = forwardRequestHead(head, this.fwd, rules === undefined ? this.requestIdLine : rules.lines + this.requestIdLine);
    this.reqBodySeen = false;
    this.retried = false;
    this.redispatches = 0;
    this.res = null;
    this.rbuf = null;
    this.resStarted = false;
    this.connectUpstream(false);
  }

  // Out of startRequest, as every step a feature adds only when configured: the request path's
  // methods stay small enough for V8 to inline what they call.
  private nameRequest(ids: RequestIds, head: RequestHead): void {
    this.requestId = ids.of(head);
    this.requestIdLine = `${ids.header}: ${this.requestId}\r\n`;
  }

  private connectUpstream(fresh: boolean): void {
    const up = this.server!.connections.acquire(this, fresh);
    if (up === null) {
      this.state = QUEUED;
      this.pauseReading();
      this.arm(T_RESPONSE, this.pool!.responseTimeoutMs);
      return;
    }
    this.attach(up);
  }

  onUpstreamGranted(conn: UpstreamConnection): void {
    if (this.state !== QUEUED) { conn.owner = null; discard(conn); return; }
    this.attach(conn);
    this.resumeReading();
    this.drive();
  }

  private attach(up: UpstreamConnection): void {
    this.up = up;
    // Head and the first body bytes leave in one write (uncorked when drive() returns).
    if (this.corked === null && this.driving && this.buf !== null && !this.reqBody!.done) { this.corked = up.socket; up.socket.cork(); }
    up.socket.write(this.reqHead!, 'latin1');
    this.state = BODY;
  }

  private serveCdn(route: CdnRoute): void {
    this.state = CDN;
    // The back-end request has its own timeout (the pool's response timeout).
    this.deadline = 0;
    this.timer = T_NONE;
    this.resStarted = false;
    this.cdn = { req: this.req!, fwd: this.fwd, pool: this.pool!, server: this.server!, addHeaders: this.addHeaders + this.requestIdLine, socket: this.socket,
      onPassive: this.ctx.onPassive, status: 0, requestFields: this.cdnRequestFields(), responseRules: this.ctx.responseRules };
    void route.serve(this.cdn).then((outcome) => this.cdnServed(outcome));
  }

  // The fields a CDN route's back-end request gains: the service's set fields and the request's ID.
  private cdnRequestFields(): ReadonlyArray<readonly [string, string]> {
    const set = this.ctx.requestRules?.fields ?? [];
    const ids = this.ctx.requestIds;
    return ids === undefined ? set : [...set, [ids.header, this.requestId!]];
  }

  private cdnServed(outcome: CdnOutcome): void {
    if (this.state !== CDN) return; // the client went away meanwhile
    if (outcome === 'cut') {
      this.recordExchange(this.cdn?.status ?? 0);
      this.destroyBoth();
    }
    else if (typeof outcome === 'number') this.fail(outcome, false);
    else {
      this.closeAfter = outcome === 'close' || this.clientEnded || this.ctx.draining;
      this.finishExchange();
    }
  }

  // ---- response side ----

  onUpstreamData(chunk: Buffer): void {
    if (this.state === WAIT) this.deadline = this.ctx.clock.now + this.pool!.responseTimeoutMs;
    if (this.res === null) {
      if (this.rbuf === null) { this.rbuf = chunk; this.rsearch = 0; } else {
        this.rsearch = this.rbuf.length;
        this.rbuf = Buffer.concat([this.rbuf, chunk]);
      }
      this.readResponseHeads();
      // A partial head waits for the next read, which must not land on it.
      if (this.rbuf !== null) this.up?.lend();
      return;
    }
    this.forwardResponseBody(chunk);
  }

  /** Writes bytes that may be the upstream's current read to the client; false when the client socket is full. */
  private toClient(bytes: Buffer): boolean {
    return writeLending(this.socket, bytes, this.up);
  }

  private readResponseHeads(): void {
    for (;;) {
      let res: ResponseHead | null;
      try {
        res = parseResponseHead(this.rbuf!, 0, this.ctx.limits, this.rsearch);
      } catch {
        this.upstreamFailed(502, 'error');
        return;
      }
      if (res === null) return;
      const raw = this.rbuf!;
      if (res.status >= 200) {
        this.rbuf = null;
        this.startResponse(res, raw);
        return;
      }
      const rest = raw.length > res.headBytes ? raw.subarray(res.headBytes) : null;
      if (res.status === 101 && this.req!.upgrade !== undefined) {
        this.startTunnel(res, rest);
        return;
      }
      // Interim responses (100 Continue, 103) go to HTTP/1.1 clients as they are.
      if (this.req!.minor === 1) this.toClient(raw.subarray(0, res.headBytes));
      this.rbuf = rest;
      this.rsearch = 0;
      if (rest === null) return;
    }
  }

  /** `raw`: the read that completed the head, which starts it; what follows the head is body. */
  private startResponse(res: ResponseHead, raw: Buffer): void {
    const req = this.req!;
    const pool = this.pool!;
    const server = this.server!;
    this.res = res;
    const kind = responseBodyKind(res, req.method);
    // An HTTP/1.0 client cannot read chunked: decode and end the body by closing.
    const decode = kind === 'chunked' && req.minor === 0;
    const compression = this.ctx.compression;
    const coding = compression === undefined || kind === 'none' ? undefined : compressionCoding(compression, req, res);
    this.throughSink = decode || coding !== undefined;
    this.closeAfter = !req.keepAlive || kind === 'close' || decode || this.clientEnded || this.state !== WAIT || this.ctx.draining;
    this.resBody = new BodyFramer(kind, res.contentLength, 502, this.throughSink ? this.bodySink(decode) : undefined);
    pool.persistence?.learn(res, server.index);
    if (res.status >= 500) this.ctx.onPassive(pool.options.name, server.id, '5xx');
    this.resStarted = true;
    const rules = this.ctx.responseRules;
    // The fields the proxy adds: persistence's (a Set-Cookie), the request's ID, the service's own, a compressed body's.
    let addHeaders = this.addHeaders;
    if (this.requestIdLine !== '') addHeaders += this.requestIdLine;
    if (rules !== undefined) { rules.apply(res); addHeaders += rules.lines; }
    if (coding !== undefined) addHeaders += this.startCompression(res, coding);
    // Nothing to change in the head: the bytes go out as they came.
    const unchanged = res.hop.length === 0 && res.minor === 1 && addHeaders === '' && this.ctx.via === undefined && !this.closeAfter && req.minor === 1;
    const framing = { chunked: (kind === 'chunked' && !decode) || coding !== undefined, close: this.closeAfter, keepAlive10: req.minor === 0 && !this.closeAfter };
    const at = res.headBytes;
    if (at === raw.length || this.throughSink) {
      this.toClient(unchanged ? raw : forwardResponseHead(res, framing, addHeaders, this.fwd.via));
      if (at < raw.length) this.forwardResponseBody(raw.subarray(at));
      else if (this.resBody.done) this.bodyDone(true);
      return;
    }
    let end: number;
    try {
      end = at + this.resBody.consume(raw, at, raw.length);
    } catch {
      this.upstreamFailed(502, 'error');
      return;
    }
    // Head and first body bytes leave in one write (a large body as a second one, uncopied); no view made for the body alone.
    let ok: boolean;
    if (unchanged) ok = this.toClient(end === raw.length ? raw : raw.subarray(0, end));
    else if (end - at <= COPY_BODY_MAX) ok = this.socket.write(forwardResponseHead(res, framing, addHeaders, this.fwd.via, raw, at, end));
    else {
      this.socket.cork();
      this.socket.write(forwardResponseHead(res, framing, addHeaders, this.fwd.via));
      ok = this.toClient(raw.subarray(at, end));
      this.socket.uncork();
    }
    if (!ok) this.pauseUpstream();
    if (this.resBody.done) this.finishExchange(end === raw.length);
  }

  private forwardResponseBody(chunk: Buffer): void {
    const body = this.resBody!;
    let n: number;
    try {
      n = body.consume(chunk, 0, chunk.length);
    } catch {
      // Broken framing from the back-end after the head went out: nothing sane can follow.
      this.ctx.onPassive(this.pool!.options.name, this.server!.id, 'error');
      this.destroyBoth();
      return;
    }
    if (n > 0 && !this.throughSink) {
      if (!this.toClient(n === chunk.length ? chunk : chunk.subarray(0, n))) this.pauseUpstream();
    }
    if (body.done) {
      // Bytes after the end of the response mean the server broke the framing: do not reuse it.
      this.bodyDone(n === chunk.length);
    }
  }

  /** Where the body's data goes when not forwarded as read: decoded to an HTTP/1.0 client, or into the encoder. */
  private bodySink(decode: boolean): DataSink {
    return decode ? (b, s, e) => { if (!this.toClient(b.subarray(s, e))) this.pauseUpstream(); }
      : (b, s, e) => { if (!this.compressor!.write(b, s, e)) this.pauseUpstream(); };
  }

  /** Sets up the encoder of a compressed response; returns the field lines its head gains. */
  private startCompression(res: ResponseHead, coding: 'gzip' | 'br'): string {
    this.compressor = new CompressedBody(coding, this.socket, this.ctx.metrics, () => this.resumeUpstream(), () => this.compressedBodySent(), () => this.destroyBoth());
    return compressedFields(res, coding);
  }

  /**
   * The back-end's body is complete: the exchange ends, once a compressed body is flushed to the
   * client. The back-end connection is let go at once: what it does meanwhile (a close) is no
   * longer this exchange's business.
   */
  private bodyDone(reusable: boolean): void {
    if (this.compressor === null) { this.finishExchange(reusable); return; }
    if (this.flushing) return;
    this.flushing = true;
    this.releaseUpstream(reusable);
    this.compressor.end();
  }

  private compressedBodySent(): void {
    if (this.compressor !== null) this.finishExchange(); // else the exchange ended otherwise meanwhile
  }

  private pauseUpstream(): void {
    if (!this.upstreamPaused && this.up !== null) { this.upstreamPaused = true; this.up.socket.pause(); }
  }

  private resumeUpstream(): void {
    if (this.upstreamPaused && this.up !== null) { this.upstreamPaused = false; this.up.socket.resume(); }
  }

  private finishExchange(reusable = true): void {
    this.recordExchange(this.res?.status ?? this.cdn?.status ?? 0);
    this.releaseUpstream(reusable);
    this.endExchange();
    this.ctx.stats.responses++;
    if (this.closeAfter) { this.endClient(); return; }
    this.state = HEAD;
    this.arm(T_IDLE, this.ctx.timeouts.keepAliveMs);
    this.resumeReading();
    if (this.buf !== null) this.drive();
    else if (this.clientEnded) this.endClient();
  }

  /** The back-end connection is done with: back to its pool when it can serve another request, else closed. */
  private releaseUpstream(reusable: boolean): void {
    const up = this.up;
    if (up === null) return;
    if (reusable && this.state === WAIT && !this.res!.close && this.resBody!.kind !== 'close') {
      this.resumeUpstream();
      this.up = null;
      this.server!.connections.release(up, this.ctx.clock.now);
    } else {
      this.up = null;
      discard(up);
    }
  }

  /** Counts the exchange that ends, and logs it (before endExchange forgets it). */
  private recordExchange(status: number): void {
    const req = this.req;
    const pool = req === null ? undefined : this.pool?.options.name;
    const ms = req === null ? 0 : performance.now() - this.started;
    this.ctx.metrics.record(pool ?? '-', status, ms / 1000);
    this.ctx.accessLog?.write({
      client: this.fwd.address, method: req?.method ?? '-', host: req?.host, target: req?.target ?? '-', status,
      pool, server: req === null ? undefined : this.server?.id, ms, id: this.requestId,
    });
  }

  /** Releases per-exchange accounting (the in-flight count). */
  private endExchange(): void {
    if (this.server !== null) {
      this.pool!.load[this.server.index]--;
      this.server = null;
    }
    this.upstreamPaused = false;
    if (this.compressor !== null) { this.compressor.destroy(); this.compressor = null; }
    this.flushing = false;
    this.throughSink = false;
    this.req = null;
    this.requestId = undefined;
    this.requestIdLine = '';
    this.res = null;
    this.resBody = null;
    this.rbuf = null;
    this.resStarted = false;
    this.cdn = null;
  }

  onUpstreamEnd(): void {
    if (this.res !== null && this.resBody!.kind === 'close') {
      this.bodyDone(false);
      return;
    }
    this.onUpstreamError(Object.assign(new Error('The back-end closed the connection early.'), { code: 'ECONNRESET' }));
  }

  onUpstreamError(err: Error & { code?: string }): void {
    const up = this.up;
    if (up === null) return;
    this.up = null;
    discard(up);
    // The connection never came up, so the server saw nothing: another server may take the request.
    if (!up.connected && !this.reqBodySeen && this.res === null && this.redispatches < 2 && this.redispatch()) return;
    // A kept-alive connection the server had closed meanwhile: try once on a fresh one.
    if (up.reused && !this.reqBodySeen && this.rbuf === null && this.res === null && !this.retried && this.state !== TUNNEL) {
      this.retried = true;
      this.connectUpstream(true);
      this.drive();
      return;
    }
    this.upstreamFailed(err.code === 'ETIMEDOUT' ? 504 : 502, 'error');
  }

  onUpstreamDrain(): void { this.resumeReading(); }

  /** Moves the request to another server after a failed connect; false when there is none. */
  private redispatch(): boolean {
    const pool = this.pool!;
    const failed = this.server!;
    const choice = pool.choose(this.req!, this.fwd.address);
    if (choice === undefined || choice.server === failed) return false;
    this.ctx.onPassive(pool.options.name, failed.id, 'error');
    this.redispatches++;
    pool.load[failed.index]--;
    pool.load[choice.server.index]++;
    this.server = choice.server;
    this.addHeaders = choice.addHeaders;
    this.connectUpstream(false);
    this.drive();
    return true;
  }

  private upstreamFailed(status: number, kind: 'error'): void {
    if (this.server !== null) this.ctx.onPassive(this.pool!.options.name, this.server.id, kind);
    this.fail(status, this.state !== WAIT);
  }

  onDeadline(): void {
    const t = this.timer;
    this.deadline = 0;
    this.timer = T_NONE;
    if (t === T_IDLE) this.destroyBoth();
    else if (t === T_HEADERS || t === T_BODY) this.fail(408, true);
    else if (t === T_RESPONSE) {
      if (this.state === QUEUED) this.server!.connections.cancel(this);
      if (this.server !== null) this.ctx.onPassive(this.pool!.options.name, this.server.id, 'error');
      this.fail(504, this.state !== WAIT);
    }
  }

  /** Answers with an error page; closes when the framing is unknown or the client asked to. */
  private fail(status: number, close: boolean, retryAfter?: number): void {
    const stats = this.ctx.stats;
    stats.errors[status] = (stats.errors[status] ?? 0) + 1;
    this.respond(status, close, (c) => errorPage(status, c, retryAfter));
  }

  // A redirect service's answer: no pool, no back-end. A request whose Host is no host cannot be
  // sent anywhere (400); one with a body closes the connection once answered unless it all came.
  private redirect(rule: RedirectRule, head: RequestHead): void {
    this.reqBody = requestBody(head);
    const location = redirectLocation(rule, this.fwd.proto, head.host, head.target);
    if (location === undefined) { this.fail(400, true); return; }
    this.respond(rule.status, !this.reqBody.done, (c) => redirectResponse(rule.status, location, c));
  }

  /** Ends the exchange with a response of the proxy's own (`page`, told whether it closes): the
   *  connection stays open for the next request unless `close`, or the client or the proxy is done. */
  private respond(status: number, close: boolean, page: (close: boolean) => Buffer): void {
    this.recordExchange(status);
    if (this.up !== null) { discard(this.up); this.up = null; }
    if (this.state === QUEUED && this.server !== null) this.server.connections.cancel(this);
    const started = this.resStarted;
    const keepAlive = this.req?.keepAlive ?? false;
    this.endExchange();
    if (started) { this.destroyBoth(); return; }
    close = close || !keepAlive || this.clientEnded || this.ctx.draining;
    this.socket.write(page(close));
    if (close) { this.endClient(); return; }
    this.state = HEAD;
    this.arm(T_IDLE, this.ctx.timeouts.keepAliveMs);
    this.resumeReading();
    if (this.buf !== null) this.drive();
  }

  // ---- WebSocket and other upgrades ----

  private startTunnel(res: ResponseHead, rest: Buffer | null): void {
    const up = this.up!;
    this.up = null;
    this.state = TUNNEL;
    this.deadline = 0;
    this.ctx.clock.delete(this);
    this.ctx.stats.tunnels++;
    const client = this.socket;
    const upstream = up.socket;
    client.write(forwardSwitchingHead(res, res.upgrade ?? this.req!.upgrade), 'latin1');
    if (rest !== null) writeLending(client, rest, up);
    up.startTunnel(client);
    if (this.buf !== null) { upstream.write(this.buf); this.buf = null; }
    this.recordExchange(101);
    this.endExchange();
    // The client's reads go on through receive(), which writes them to the back-end.
    this.tunnelTo = upstream;
    upstream.on('drain', () => this.resumeReading());
    upstream.on('close', () => client.destroy());
    client.on('close', () => upstream.destroy());
    this.resumeReading();
    upstream.resume();
  }

  // ---- client side end ----

  private onClientEnd(): void {
    this.clientEnded = true;
    if (this.tunnelTo !== null) { this.tunnelTo.end(); return; }
    if (this.state === HEAD && this.buf === null) this.endClient();
    else if (this.state === HEAD) this.drive();
  }

  private endClient(): void {
    const unread = this.buf !== null;
    this.state = CLOSED;
    this.deadline = 0;
    this.buf = null;
    // As nginx: with nothing unread the socket closes once our end (TLS close_notify, FIN) is
    // written, not a round trip later at the client's. Unread bytes would turn that close into a
    // reset, which can cost the client the response: then the client's end is awaited.
    if (!unread) this.socket.on('finish', destroySelf);
    this.socket.end();
  }

  private destroyBoth(): void {
    if (this.up !== null) { discard(this.up); this.up = null; }
    this.state = CLOSED;
    this.socket.destroy();
  }

  private onClientClose(): void {
    this.ctx.stats.connections--;
    this.ctx.metrics.connections[this.ctx.service]--;
    this.ctx.clients.delete(this);
    this.ctx.clock.delete(this);
    if (this.state === TUNNEL) return;
    if (this.state === QUEUED && this.server !== null) this.server.connections.cancel(this);
    if (this.up !== null) { discard(this.up); this.up = null; }
    // The client went away before its response was complete (nginx's 499).
    if (this.req !== null && this.state !== CLOSED) this.recordExchange(499);
    this.endExchange();
    this.state = CLOSED;
  }
}

/** A 'finish' listener: one function for every socket, not a closure each. */
function destroySelf(this: net.Socket): void {
  this.destroy();
}

/** `b`, or a copy when it is a read in the shared buffer (valid only until its read returns). */
function copyIfShared(b: Buffer): Buffer {
  return isSharedRead(b) ? Buffer.from(b) : b;
}
