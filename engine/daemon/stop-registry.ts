// Graceful stop: parts register an async stop function as they start; on SIGTERM they are called
// last-started first, within one grace period. Past the deadline each remaining function gets an
// aborted signal ("finish now") and a short moment, so that e.g. leaving the scheduler role still
// happens when in-flight requests ran out the clock.
import { logger } from '../log.js';

export type StopFn = (signal: AbortSignal) => void | Promise<void>;

export interface StopResult {
  name: string;
  ok: boolean;
  /** The function had not finished by the time it was allowed. */
  timedOut: boolean;
  ms: number;
  error?: string;
}

export class StopRegistry {
  #entries: Array<{ name: string; fn: StopFn }> = [];

  /** Registers a stop function; returns a function that unregisters it. */
  add(name: string, fn: StopFn): () => void {
    const entry = { name, fn };
    this.#entries.push(entry);
    return () => { this.#entries = this.#entries.filter((e) => e !== entry); };
  }

  get size(): number { return this.#entries.length; }

  /**
   * Runs every stop function, last registered first. All of them share `graceMs`; after it
   * each one still runs with an aborted signal and at most `forceMs`.
   */
  async stopAll(graceMs: number, forceMs = 1000): Promise<StopResult[]> {
    const log = logger('lifecycle');
    const deadline = Date.now() + graceMs;
    const late = new AbortController();
    const timer = setTimeout(() => late.abort(), graceMs);
    const results: StopResult[] = [];
    const entries = this.#entries.reverse();
    this.#entries = [];
    try {
      for (const { name, fn } of entries) {
        const started = Date.now();
        const allowed = Math.max(deadline - started, 0) + forceMs;
        let timeout: NodeJS.Timeout | undefined;
        const outcome = await Promise.race([
          Promise.resolve().then(() => fn(late.signal)).then(() => 'done' as const, (e: unknown) => e),
          new Promise<'timeout'>((r) => { timeout = setTimeout(() => r('timeout'), allowed); }),
        ]);
        clearTimeout(timeout);
        const ms = Date.now() - started;
        const r: StopResult = outcome === 'done' ? { name, ok: true, timedOut: false, ms }
          : outcome === 'timeout' ? { name, ok: false, timedOut: true, ms }
            : { name, ok: false, timedOut: false, ms, error: outcome instanceof Error ? outcome.message : String(outcome) };
        if (r.timedOut) log.warn({ part: name, ms }, 'stop did not finish in time');
        else if (!r.ok) log.error({ part: name, error: r.error }, 'stop failed');
        else log.debug({ part: name, ms }, 'stopped');
        results.push(r);
      }
    } finally {
      clearTimeout(timer);
    }
    return results;
  }
}
