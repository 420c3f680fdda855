// The access log (what nginx's access_log and HAProxy's httplog give operators): one JSON line per
// request, written by the worker that served it straight to the file (pino over its own
// SonicBoom, asynchronous, so the request path only formats a line). All workers append to the
// same file with O_APPEND: each write is whole lines, so lines never interleave.
import pino, { type DestinationStream, type Logger } from 'pino';

/** One finished request: what was asked, who served it, how it ended and how long it took. */
export interface AccessRecord {
  client: string;
  method: string;
  host: string | undefined;
  target: string;
  /** The status sent; 499 when the client went away first, 101 for an upgrade. */
  status: number;
  pool: string | undefined;
  server: string | undefined;
  /** Milliseconds from the complete request head to the end of the response. */
  ms: number;
  /** The request's ID, when the proxy gives them (proxy.requestId). */
  id?: string;
}

export class AccessLog {
  private readonly log: Logger;
  private readonly out: DestinationStream & { end(): void; once(event: 'close', fn: () => void): void };
  private closed = false;

  /** `dest`: a file path (appended to), or "-" for standard output. */
  constructor(dest: string, private readonly worker: number) {
    this.out = pino.destination({ dest: dest === '-' ? 1 : dest, sync: false, mkdir: true });
    // "log": "access" in place of pino's level: the lines stand apart on a shared standard output.
    this.log = pino({ base: undefined, timestamp: pino.stdTimeFunctions.isoTime, formatters: { level: () => ({ log: 'access' }) } }, this.out);
  }

  write(r: AccessRecord): void {
    if (this.closed) return; // an exchange that ends after the stop (a late CDN fetch): the file is shut
    this.log.info({ worker: this.worker, client: r.client, method: r.method, host: r.host, target: r.target, status: r.status,
      pool: r.pool, server: r.server, ms: Math.round(r.ms * 10) / 10, ...(r.id === undefined ? {} : { id: r.id }) });
  }

  /**
   * Writes every line still buffered or being written, then closes the file (standard output
   * stays open). Not SonicBoom's flush(): without a minLength it calls back at once, even with a
   * write in flight, and a worker that exits then loses the last lines (seen in CI: the last
   * line of a graceful stop missing from the file).
   */
  close(): Promise<void> {
    this.closed = true;
    return new Promise((resolve) => {
      this.out.once('close', resolve);
      this.out.end();
    });
  }
}
