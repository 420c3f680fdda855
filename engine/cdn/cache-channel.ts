// The page cache across threads: the store stays in the main thread (PageCacheHost); each worker
// holds a PageCacheClient with the same async API, one message per call. Page bodies are
// SharedArrayBuffers, so a hit moves a small header object, not the page. A worker also keeps a
// local index of the pages it was given (references to the shared bodies: no copy), used while
// fresh and dropped as soon as the host's generation word (shared memory) moves: purges, flushes
// and replacements are seen by every worker at its next request. A page served from the local
// index is reported to the host now and then (at most once a second), so the LRU there still sees
// it used. Leases of a worker that goes away are abandoned, so its waiters move on.
import type { MessagePort } from 'node:worker_threads';
import type { HeaderMap } from './headers.js';
import type { Lookup, Outcome, PageCache, PageCacheApi } from './page-cache.js';
import { variantMatches, type StoredPage } from './page-store.js';

type Call =
  | { id: number; op: 'lookup'; key: string; request: HeaderMap }
  | { id: number; op: 'complete'; key: string; lease: number; outcome: Outcome }
  | { id: number; op: 'purge'; target: string; prefix: boolean }
  /** No reply: the page was used (served from a worker's local index). */
  | { id: number; op: 'touch'; key: string; varyValues: string[] };

type DistributiveOmit<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never;

interface Reply { id: number; result?: unknown; error?: string }

export class PageCacheHost {
  constructor(readonly cache: PageCache) {}

  /** Serves one worker's port until it closes. */
  attach(port: MessagePort): void {
    const held = new Map<number, string>();
    port.postMessage({ id: 0, result: this.cache.generation } satisfies Reply);
    port.on('message', (call: Call) => {
      if (call.op === 'touch') { this.cache.store.touch(call.key, call.varyValues); return; }
      void this.answer(call, held).then(
        (result) => port.postMessage({ id: call.id, result } satisfies Reply),
        (e: unknown) => port.postMessage({ id: call.id, error: String(e) } satisfies Reply),
      );
    });
    port.on('close', () => this.cache.abandon([...held].map(([lease, key]) => [key, lease])));
  }

  private async answer(call: Call, held: Map<number, string>): Promise<unknown> {
    switch (call.op) {
      case 'lookup': {
        const r = await this.cache.lookup(call.key, call.request);
        if (r.kind === 'miss' || r.kind === 'stale') held.set(r.lease, call.key);
        return r;
      }
      case 'complete':
        held.delete(call.lease);
        return this.cache.complete(call.key, call.lease, call.outcome);
      case 'purge':
        return this.cache.purge(call.target, call.prefix);
      default:
        return undefined;
    }
  }
}

const LOCAL_INDEX_MAX = 10_000;
const TOUCH_EVERY_MS = 1000;

export class PageCacheClient implements PageCacheApi {
  /** Hits answered from the local index, without a message. */
  localHits = 0;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private generation: Int32Array | undefined;
  private seen = -1;
  private readonly local = new Map<string, StoredPage[]>();
  /** When the host last saw each page of the local index used. */
  private readonly touchedAt = new WeakMap<StoredPage, number>();

  constructor(private readonly port: MessagePort, private readonly now: () => number = Date.now) {
    port.on('message', (r: Reply) => {
      if (r.id === 0) { this.generation = r.result as Int32Array; return; }
      const p = this.pending.get(r.id);
      if (p === undefined) return;
      this.pending.delete(r.id);
      if (r.error !== undefined) p.reject(new Error(r.error));
      else p.resolve(r.result);
    });
  }

  private call<T>(msg: DistributiveOmit<Call, 'id'>): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.port.postMessage({ ...msg, id });
    });
  }

  async lookup(key: string, request: HeaderMap): Promise<Lookup> {
    const gen = this.generation === undefined ? -1 : Atomics.load(this.generation, 0);
    if (gen !== this.seen) {
      this.local.clear();
      this.seen = gen;
    }
    const page = this.local.get(key)?.find((p) => variantMatches(p, request));
    const now = this.now();
    if (page !== undefined && page.freshUntil > now) {
      this.localHits++;
      if (now - (this.touchedAt.get(page) ?? 0) >= TOUCH_EVERY_MS) {
        this.touchedAt.set(page, now);
        this.port.postMessage({ id: 0, op: 'touch', key, varyValues: page.varyValues } satisfies Call);
      }
      return { kind: 'hit', page };
    }
    const r = await this.call<Lookup>({ op: 'lookup', key, request });
    // Kept only if nothing was purged or replaced while the answer was on its way.
    if (r.kind === 'hit' && gen >= 0 && Atomics.load(this.generation!, 0) === gen) this.remember(r.page);
    return r;
  }

  private remember(page: StoredPage): void {
    this.touchedAt.set(page, this.now()); // the host's lookup just touched it
    if (this.local.size >= LOCAL_INDEX_MAX) this.local.clear();
    const variants = (this.local.get(page.key) ?? []).filter((p) => p.varyValues.join('\u0000') !== page.varyValues.join('\u0000'));
    variants.push(page);
    this.local.set(page.key, variants);
  }

  complete(key: string, lease: number, outcome: Outcome): Promise<void> {
    return this.call({ op: 'complete', key, lease, outcome });
  }

  purge(target: string, prefix: boolean): Promise<number> {
    return this.call({ op: 'purge', target, prefix });
  }

  close(): void {
    this.port.close();
  }
}
