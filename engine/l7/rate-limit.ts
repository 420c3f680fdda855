// Per-client request rate limit (what nginx's limit_req and HAProxy's http_req_rate stick tables
// give): a client address over `requests` per `intervalMs` is answered 429 until its rate falls.
// The counts live in a fixed number of hash groups in a SharedArrayBuffer: every worker of the
// node counts the same client (the kernel spreads one client's connections over the workers), and
// memory never grows with the number of clients. Addresses that share a group share a count, which
// errs on the strict side; with the default 65536 groups that takes many thousands of busy clients.
//
// The rate is a sliding-window estimate: the previous fixed window's count, weighted by how much of
// it the sliding window still covers, plus the current window's count. Only allowed requests count,
// so a client that stops hammering gets through again within one interval.
import { LbError } from '../errors.js';
import { fnv1a } from './policies/policy.js';

export const DEFAULT_RATE_GROUPS = 65536;
// Per group: the current window's number, its count, the previous window's count.
const CELLS = 3;

export interface RateLimitOptions {
  requests: number;
  intervalMs: number;
  groups?: number;
}

export function createRateLimitBuffer(groups = DEFAULT_RATE_GROUPS): SharedArrayBuffer {
  if (!Number.isInteger(groups) || groups < 1 || groups > 1 << 24) {
    throw new LbError('ERR_L7_RATE_GROUPS', `Expected a rate-limit group count between 1 and 16777216, but received ${groups}.`);
  }
  return new SharedArrayBuffer(groups * CELLS * 4);
}

export class RateLimiter {
  private readonly cells: Int32Array;
  private readonly groups: number;
  constructor(private readonly options: RateLimitOptions, buffer: SharedArrayBuffer = createRateLimitBuffer(options.groups)) {
    this.cells = new Int32Array(buffer);
    this.groups = this.cells.length / CELLS;
  }

  /** Counts a request of `client` at `now` (ms) and says whether it may pass. */
  allow(client: string, now: number): boolean {
    const { requests, intervalMs } = this.options;
    const c = this.cells;
    const g = (fnv1a(client) % this.groups) * CELLS;
    const window = Math.floor(now / intervalMs) | 0;
    const seen = Atomics.load(c, g);
    // The first worker to see a new window rolls the group over; the others find it rolled.
    if (seen !== window && Atomics.compareExchange(c, g, seen, window) === seen) {
      const current = Atomics.exchange(c, g + 1, 0);
      Atomics.store(c, g + 2, ((seen + 1) | 0) === window ? current : 0);
    }
    const before = Atomics.load(c, g + 2) * (1 - (now % intervalMs) / intervalMs);
    // Check and count in one step, so workers racing on one client never pass more than `requests` together.
    for (;;) {
      const current = Atomics.load(c, g + 1);
      if (before + current >= requests) return false;
      if (Atomics.compareExchange(c, g + 1, current, current + 1) === current) return true;
    }
  }

  /** Seconds until a refused client can expect to pass again (the Retry-After header): one interval, rounded up. */
  get retryAfterSeconds(): number { return Math.max(1, Math.ceil(this.options.intervalMs / 1000)); }
}
