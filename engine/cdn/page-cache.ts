// The page cache of a node: one store, leases that coalesce concurrent misses of a key into one
// back-end request, and "pass" marks for pages that turned out not to be storable (so their
// requests stop queueing behind each other). Lives in the main thread; workers reach it through
// cache-channel.ts with the same PageCacheApi.
import { createHash } from 'node:crypto';
import { purgeMatcher } from './cache-key.js';
import type { HeaderMap } from './headers.js';
import { PageStore, type Renewal, type StoredPage } from './page-store.js';

export type Lookup =
  | { kind: 'hit'; page: StoredPage }
  /** Stored but not fresh: the caller holds the lease and revalidates. */
  | { kind: 'stale'; page: StoredPage; lease: number }
  /** Not stored: the caller holds the lease and fetches; others asking now wait for it. */
  | { kind: 'miss'; lease: number }
  /** Known not storable: fetch without caching, without waiting. */
  | { kind: 'pass' };

export type Outcome =
  | { kind: 'store'; page: StoredPage }
  | { kind: 'refresh'; varyValues: string[]; renewal: Renewal }
  | { kind: 'pass'; forMs: number }
  | { kind: 'abandon' };

export interface PageCacheApi {
  lookup(key: string, request: HeaderMap): Promise<Lookup>;
  /** Ends a lease; waiters then see the stored page, or take their own lease. */
  complete(key: string, lease: number, outcome: Outcome): Promise<void>;
  /** Drops one URL or, with `prefix`, every URL under it; returns the number of pages dropped. */
  purge(target: string, prefix: boolean): Promise<number>;
}

export interface PageCacheOptions {
  maxBytes: number;
  /** A lease not completed in this time is dropped (a worker died mid-fetch). Default 30 s. */
  leaseMs?: number;
  now?: () => number;
}

interface Lease {
  id: number;
  waiters: Array<() => void>;
  timer: NodeJS.Timeout;
  /** A purge named the key while its page was being fetched: what comes back may be the old page. */
  purged?: boolean;
}

/** Hash of the rewrite configuration: stored pages are valid only under the same hash. */
export function rulesHash(rules: unknown): string {
  return createHash('sha256').update(JSON.stringify(rules) ?? '').digest('hex').slice(0, 16);
}

export class PageCache implements PageCacheApi {
  readonly store: PageStore;
  readonly counters = { hits: 0, stale: 0, misses: 0, passes: 0, coalesced: 0, stored: 0, purged: 0, leaseTimeouts: 0 };
  private readonly leases = new Map<string, Lease>();
  private readonly passUntil = new Map<string, number>();
  private readonly leaseMs: number;
  private readonly now: () => number;
  private nextLease = 1;
  private hash = '';
  /**
   * Bumped whenever a stored page may have become wrong or left the cache (purge, flush,
   * replacement, eviction): workers keep a local index of the pages they were given and drop it
   * when this changes, so they neither serve an old page nor hold an evicted one's memory.
   */
  readonly generation = new Int32Array(new SharedArrayBuffer(4));

  constructor(options: PageCacheOptions) {
    this.store = new PageStore(options.maxBytes);
    this.leaseMs = options.leaseMs ?? 30_000;
    this.now = options.now ?? Date.now;
  }

  get configHash(): string { return this.hash; }

  /** A new rewrite configuration: every stored page was rewritten under the old one. */
  setConfigHash(hash: string): void {
    if (hash === this.hash) return;
    this.hash = hash;
    this.store.flush();
    this.passUntil.clear();
    this.bump();
  }

  async lookup(key: string, request: HeaderMap): Promise<Lookup> {
    for (;;) {
      const now = this.now();
      const page = this.store.find(key, request);
      if (page !== undefined && page.freshUntil > now) {
        this.counters.hits++;
        return { kind: 'hit', page };
      }
      const pass = this.passUntil.get(key);
      if (pass !== undefined) {
        if (pass > now) { this.counters.passes++; return { kind: 'pass' }; }
        this.passUntil.delete(key);
      }
      const lease = this.leases.get(key);
      if (lease === undefined) {
        const id = this.grant(key);
        if (page !== undefined) { this.counters.stale++; return { kind: 'stale', page, lease: id }; }
        this.counters.misses++;
        return { kind: 'miss', lease: id };
      }
      this.counters.coalesced++;
      await new Promise<void>((resolve) => lease.waiters.push(resolve));
    }
  }

  private grant(key: string): number {
    const id = this.nextLease++;
    const timer = setTimeout(() => {
      this.counters.leaseTimeouts++;
      this.end(key, id);
    }, this.leaseMs);
    timer.unref();
    this.leases.set(key, { id, waiters: [], timer });
    return id;
  }

  private end(key: string, id: number): boolean {
    const lease = this.leases.get(key);
    if (lease === undefined || lease.id !== id) return false;
    clearTimeout(lease.timer);
    this.leases.delete(key);
    for (const wake of lease.waiters) wake();
    return true;
  }

  async complete(key: string, lease: number, outcome: Outcome): Promise<void> {
    const current = this.leases.get(key);
    if (current === undefined || current.id !== lease) return;
    switch (outcome.kind) {
      case 'store':
        // A page rewritten under another configuration, or fetched before a purge, is not kept.
        if (outcome.page.rules === this.hash && current.purged !== true) {
          const replaces = this.store.has(key, outcome.page.varyValues);
          const evictions = this.store.evictions;
          if (this.store.put(outcome.page)) this.counters.stored++;
          if (replaces || this.store.evictions !== evictions) this.bump();
        }
        break;
      case 'refresh':
        this.store.refresh(key, outcome.varyValues, outcome.renewal);
        break;
      case 'pass':
        this.passUntil.set(key, this.now() + outcome.forMs);
        break;
      default:
        break;
    }
    this.end(key, lease);
  }

  /** A new byte bound: pages past it go, and the workers drop theirs. */
  resize(maxBytes: number): void {
    const evictions = this.store.evictions;
    this.store.resize(maxBytes);
    if (this.store.evictions !== evictions) this.bump();
  }

  /** Abandons leases (their holder is gone). */
  abandon(leases: Iterable<[string, number]>): void {
    for (const [key, id] of leases) this.end(key, id);
  }

  async purge(target: string, prefix: boolean): Promise<number> {
    const match = purgeMatcher(target, prefix);
    for (const [key, lease] of this.leases) if (match(key)) lease.purged = true;
    const n = this.store.purge(match);
    this.counters.purged += n;
    if (n > 0) this.bump();
    return n;
  }

  private bump(): void {
    Atomics.add(this.generation, 0, 1);
  }
}
