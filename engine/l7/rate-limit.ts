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
// Per group, 16 bytes: one 64-bit cell holding the current window's number (high half) and its
// count (low half), so a roll to a new window and a count are one compare-and-swap (with the two in
// separate cells, a count made between another worker's roll and its reset was lost: one request
// too many passed); then the previous window's count (32 bits) and 4 spare bytes.
const GROUP_BYTES = 16;

export interface RateLimitOptions {
  requests: number;
  intervalMs: number;
  groups?: number;
}

export function createRateLimitBuffer(groups = DEFAULT_RATE_GROUPS): SharedArrayBuffer {
  if (!Number.isInteger(groups) || groups < 1 || groups > 1 << 24) {
    throw new LbError('ERR_L7_RATE_GROUPS', `Expected a rate-limit group count between 1 and 16777216, but received ${groups}.`);
  }
  return new SharedArrayBuffer(groups * GROUP_BYTES);
}

export class RateLimiter {
  private readonly windows: BigInt64Array;
  private readonly previous: Int32Array;
  private readonly groups: number;
  constructor(private readonly options: RateLimitOptions, buffer: SharedArrayBuffer = createRateLimitBuffer(options.groups)) {
    this.windows = new BigInt64Array(buffer);
    this.previous = new Int32Array(buffer);
    this.groups = buffer.byteLength / GROUP_BYTES;
  }

  /** Counts a request of `client` at `now` (ms) and says whether it may pass. */
  allow(client: string, now: number): boolean {
    const { requests, intervalMs } = this.options;
    const g = fnv1a(client) % this.groups;
    const cell = g * 2;
    const prevCell = g * 4 + 2;
    const window = Math.floor(now / intervalMs) | 0;
    const covered = 1 - (now % intervalMs) / intervalMs;
    for (;;) {
      const seen = Atomics.load(this.windows, cell);
      const seenWindow = Number(BigInt.asIntN(32, seen >> 32n));
      const rolls = seenWindow !== window;
      // The worker whose count moves the group to a new window sets the previous count; until
      // it has, the others may weigh an older one (the estimate is off for an instant, no count is lost).
      const prev = rolls ? (((seenWindow + 1) | 0) === window ? Number(BigInt.asUintN(32, seen)) : 0) : Atomics.load(this.previous, prevCell);
      const count = rolls ? 0 : Number(BigInt.asUintN(32, seen));
      if (prev * covered + count >= requests) return false;
      const next = (BigInt(window) << 32n) | BigInt(count + 1);
      if (Atomics.compareExchange(this.windows, cell, seen, next) === seen) {
        if (rolls) Atomics.store(this.previous, prevCell, prev);
        return true;
      }
    }
  }

  /** Seconds until a refused client can expect to pass again (the Retry-After header): one interval, rounded up. */
  get retryAfterSeconds(): number { return Math.max(1, Math.ceil(this.options.intervalMs / 1000)); }
}
