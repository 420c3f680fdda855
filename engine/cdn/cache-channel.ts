// The page cache across threads: the store stays in the main thread (PageCacheHost); each worker
// holds a PageCacheClient with the same async API, one message per call. Page bodies are
// SharedArrayBuffers, so a hit moves a small header object, not the page. Leases of a worker
// that goes away are abandoned, so its waiters move on.
import type { MessagePort } from 'node:worker_threads';
import type { HeaderMap } from './headers.js';
import type { Lookup, Outcome, PageCache, PageCacheApi } from './page-cache.js';

type Call =
  | { id: number; op: 'lookup'; key: string; request: HeaderMap }
  | { id: number; op: 'complete'; key: string; lease: number; outcome: Outcome }
  | { id: number; op: 'purge'; target: string; prefix: boolean };

type DistributiveOmit<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never;

interface Reply { id: number; result?: unknown; error?: string }

export class PageCacheHost {
  constructor(readonly cache: PageCache) {}

  /** Serves one worker's port until it closes. */
  attach(port: MessagePort): void {
    const held = new Map<number, string>();
    port.on('message', (call: Call) => {
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
      default:
        return this.cache.purge(call.target, call.prefix);
    }
  }
}

export class PageCacheClient implements PageCacheApi {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  constructor(private readonly port: MessagePort) {
    port.on('message', (r: Reply) => {
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

  lookup(key: string, request: HeaderMap): Promise<Lookup> {
    return this.call({ op: 'lookup', key, request });
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
