// The stored rewritten pages: variants by Vary, least recently used dropped first, bounded by
// bytes. Bodies live in SharedArrayBuffers, so handing a page to a worker thread shares it rather
// than copying it; a page is never changed once stored (a refresh replaces its freshness only).
import type { Coding } from './content-coding.js';
import { varyValue } from './cache-key.js';
import type { HeaderMap } from './headers.js';

export interface StoredPage {
  key: string;
  /** Vary names (lower case, sorted) and the request's values for them when stored. */
  vary: string[];
  varyValues: string[];
  status: number;
  /** Headers replayed to clients (no framing or coding fields; ETag already weak). */
  headers: Record<string, string | string[]>;
  /** The rewritten body per coding (identity always; gzip and br when worth it). */
  bodies: Partial<Record<Coding, Uint8Array>>;
  /** Validators of the back-end's response, for revalidation. */
  originEtag?: string;
  lastModified?: string;
  storedAt: number;
  /** The Age (ms) the back-end's response came with: a page's Age is this plus its time stored. */
  ageOnArrival?: number;
  freshUntil: number;
  /** Hash of the rewrite rules the page was rewritten under (see rulesHash). */
  rules: string;
}

/** What a revalidation (the back-end's 304) renews in a stored page. */
export type Renewal = Pick<StoredPage, 'freshUntil' | 'storedAt' | 'ageOnArrival' | 'headers'>;

export function pageSize(p: StoredPage): number {
  let n = 512 + p.key.length;
  for (const b of Object.values(p.bodies)) n += b?.byteLength ?? 0;
  return n;
}

/** A copy of `bytes` in shared memory. */
export function sharedCopy(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(new SharedArrayBuffer(bytes.byteLength));
  out.set(bytes);
  return out;
}

/** Is `page` the variant a request with these headers asks for? */
export function variantMatches(page: StoredPage, request: HeaderMap): boolean {
  for (let i = 0; i < page.vary.length; i++) if (varyValue(request[page.vary[i]]) !== page.varyValues[i]) return false;
  return true;
}

function variantId(key: string, values: readonly string[]): string {
  return values.length === 0 ? key : `${key}\u0000${values.join('\u0000')}`;
}

export class PageStore {
  /** Insertion order is recency order: a touch re-inserts. */
  private readonly entries = new Map<string, StoredPage>();
  /** Vary names per key (to find the variant of a request) and how many variants are stored. */
  private readonly varyOf = new Map<string, { names: string[]; variants: number }>();
  private bytesUsed = 0;
  /** Pages dropped to stay within the bound, since the start. */
  evictions = 0;

  constructor(private maxBytes: number) {}

  get bytes(): number { return this.bytesUsed; }
  get size(): number { return this.entries.size; }

  /** Is this variant stored? */
  has(key: string, varyValues: readonly string[]): boolean {
    return this.entries.has(variantId(key, varyValues));
  }

  find(key: string, request: HeaderMap): StoredPage | undefined {
    const vary = this.varyOf.get(key);
    if (vary === undefined) return undefined;
    return this.use(variantId(key, vary.names.map((n) => varyValue(request[n]))));
  }

  /** Marks a variant as just used (a worker served it from its own index). */
  touch(key: string, varyValues: readonly string[]): void {
    this.use(variantId(key, varyValues));
  }

  /** The variant, moved to the most recently used end. */
  private use(id: string): StoredPage | undefined {
    const page = this.entries.get(id);
    if (page !== undefined) {
      this.entries.delete(id);
      this.entries.set(id, page);
    }
    return page;
  }

  put(page: StoredPage): boolean {
    const size = pageSize(page);
    if (size > this.maxBytes) return false;
    const prevVary = this.varyOf.get(page.key);
    // A changed Vary makes the stored variants unreachable: drop them.
    if (prevVary !== undefined && prevVary.names.join(',') !== page.vary.join(',')) this.dropKey(page.key);
    const id = variantId(page.key, page.varyValues);
    this.remove(id);
    this.entries.set(id, page);
    const v = this.varyOf.get(page.key);
    if (v === undefined) this.varyOf.set(page.key, { names: page.vary, variants: 1 });
    else v.variants++;
    this.bytesUsed += size;
    this.evict();
    return true;
  }

  /** Renews the freshness, age and replayed headers of a stored variant after a 304. */
  refresh(key: string, varyValues: readonly string[], renewal: Renewal): StoredPage | undefined {
    const id = variantId(key, varyValues);
    const page = this.entries.get(id);
    if (page === undefined) return undefined;
    const next = { ...page, ...renewal };
    this.entries.set(id, next);
    return next;
  }

  private remove(id: string, page = this.entries.get(id)): void {
    if (page === undefined) return;
    this.entries.delete(id);
    this.bytesUsed -= pageSize(page);
    const v = this.varyOf.get(page.key);
    if (v !== undefined && --v.variants <= 0) this.varyOf.delete(page.key);
  }

  private dropKey(key: string): number {
    let n = 0;
    for (const [id, p] of this.entries) if (p.key === key) { this.remove(id, p); n++; }
    this.varyOf.delete(key);
    return n;
  }

  /** Drops every page (every variant) whose key matches (see purgeMatcher). Returns pages dropped. */
  purge(match: (key: string) => boolean): number {
    let n = 0;
    for (const [id, p] of this.entries) if (match(p.key)) { this.remove(id, p); n++; }
    return n;
  }

  flush(): void {
    this.entries.clear();
    this.varyOf.clear();
    this.bytesUsed = 0;
  }

  resize(maxBytes: number): void {
    this.maxBytes = maxBytes;
    this.evict();
  }

  /** Drops the least recently used pages until the bound holds. */
  private evict(): void {
    for (const [oldest, p] of this.entries) {
      if (this.bytesUsed <= this.maxBytes) break;
      this.remove(oldest, p);
      this.evictions++;
    }
  }
}
