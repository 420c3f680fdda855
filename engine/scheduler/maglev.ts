// Maglev consistent hashing: the lookup-table population of Eisenbud et al., "Maglev: A Fast
// and Reliable Software Network Load Balancer", NSDI 2016, section 3.4 ("Consistent Hashing").
//
// Each backend i owns a permutation of the M table slots, (offset_i + j * skip_i) mod M, with
// offset/skip from two independent hashes of its id. Backends take turns claiming their next
// preferred free slot until the table is full. That gives the paper's two properties: balance
// (equal weights: every backend holds floor(M/N) or ceil(M/N) slots) and minimal disruption
// (removing one of N backends moves about 1/N of the slots).
//
// Weights (not in the paper's pseudo-code): a backend of weight w takes a turn in round r only
// while it holds fewer than r * w / wmax slots, so the heaviest takes one every round and the
// others in proportion. Weight 0 takes no turn, which gives exactly the table of the list without
// it: pass a down or draining node with weight 0 and keep every node's index stable.
//
// Hashes: SipHash-2-4 of the id's UTF-8 bytes under two fixed keys (OFFSET_KEY, SKIP_KEY below),
// offset = h1 mod M, skip = h2 mod (M - 1) + 1. The table is a pure function of the ordered
// (id, weight) list and M, so every scheduler builds the identical table from the same view.
import { LbError } from '../errors.js';
import { siphash24, sipKeyFromBytes } from './siphash.js';

export interface MaglevBackend {
  id: string;
  weight: number;
}

/** The smallest table size accepted for production tables (the paper's 65537). */
export const MAGLEV_MIN_SIZE = 65537;
/** Weights are integers in [0, MAGLEV_MAX_WEIGHT]. */
export const MAGLEV_MAX_WEIGHT = 1_000_000;
/** Node indices must fit the flow table's 16-bit node field. */
export const MAGLEV_MAX_BACKENDS = 65535;

const utf8 = new TextEncoder();
const OFFSET_KEY = sipKeyFromBytes(utf8.encode('lbarray-maglev-o'));
const SKIP_KEY = sipKeyFromBytes(utf8.encode('lbarray-maglev-s'));

/** Deterministic primality test by trial division (sizes are at most 2^31). */
export function isPrime(n: number): boolean {
  if (!Number.isInteger(n) || n < 2) return false;
  if (n % 2 === 0) return n === 2;
  for (let d = 3; d * d <= n; d += 2) if (n % d === 0) return false;
  return true;
}

/** Throws ERR_MAGLEV_TABLE_SIZE unless `size` is a prime in [MAGLEV_MIN_SIZE, 2^31). */
export function checkTableSize(size: number): void {
  if (!isPrime(size) || size < MAGLEV_MIN_SIZE || size >= 2 ** 31) {
    throw new LbError('ERR_MAGLEV_TABLE_SIZE',
      `Maglev table size must be a prime between ${MAGLEV_MIN_SIZE} and 2^31, but received ${size}.`);
  }
}

// Rebuilds after a health change reuse the same ids: remember their permutations (bounded).
const permutationCache = new Map<string, { offset: number; skip: number }>();
const PERMUTATION_CACHE_MAX = 4096;

/** The permutation parameters of one backend id for a table of `size` slots. */
export function maglevPermutation(id: string, size: number): { offset: number; skip: number } {
  const cacheKey = `${size}/${id}`;
  const hit = permutationCache.get(cacheKey);
  if (hit !== undefined) return hit;
  const bytes = utf8.encode(id);
  const m = BigInt(size);
  const p = {
    offset: Number(siphash24(OFFSET_KEY, bytes) % m),
    skip: Number(siphash24(SKIP_KEY, bytes) % (m - 1n)) + 1,
  };
  if (permutationCache.size >= PERMUTATION_CACHE_MAX) permutationCache.clear();
  permutationCache.set(cacheKey, p);
  return p;
}

/**
 * The paper's population loop over explicit permutations (offsets[i], skips[i]), weighted turns.
 * `size` must be prime (so every permutation visits every slot). Entry = backend index, -1 if
 * every weight is 0.
 */
export function populateMaglev(offsets: ArrayLike<number>, skips: ArrayLike<number>,
  weights: ArrayLike<number>, size: number): Int32Array {
  if (!isPrime(size)) {
    throw new LbError('ERR_MAGLEV_TABLE_SIZE', `Maglev table size must be a prime, but received ${size}.`);
  }
  const n = offsets.length;
  const table = new Int32Array(size).fill(-1);
  let wmax = 0;
  for (let i = 0; i < n; i++) if (weights[i] > wmax) wmax = weights[i];
  if (wmax === 0) return table;
  // Int32 arrays keep the loop in small-integer math: slots and skips are below 2^31.
  const next = new Int32Array(n); // next preferred slot of each backend: permutation[i][j]
  const skipOf = new Int32Array(n);
  const placed = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    next[i] = offsets[i];
    skipOf[i] = skips[i];
  }
  let filled = 0;
  for (let round = 1; ; round++) {
    for (let i = 0; i < n; i++) {
      const w = weights[i];
      if (placed[i] * wmax >= round * w) continue; // not this backend's turn (or weight 0)
      const skip = skipOf[i];
      let c = next[i];
      while (table[c] >= 0) {
        c += skip;
        if (c >= size) c -= size;
      }
      table[c] = i;
      c += skip;
      next[i] = c >= size ? c - size : c;
      placed[i]++;
      if (++filled === size) return table;
    }
  }
}

function checkBackends(backends: readonly MaglevBackend[]): void {
  if (backends.length > MAGLEV_MAX_BACKENDS) {
    throw new LbError('ERR_MAGLEV_BACKEND',
      `Maglev supports at most ${MAGLEV_MAX_BACKENDS} backends, but received ${backends.length}.`);
  }
  const seen = new Set<string>();
  for (const b of backends) {
    if (typeof b.id !== 'string' || b.id === '' || seen.has(b.id)) {
      throw new LbError('ERR_MAGLEV_BACKEND',
        `Expected a unique non-empty string id for each Maglev backend, but received ${JSON.stringify(b.id)}.`);
    }
    seen.add(b.id);
    if (!Number.isInteger(b.weight) || b.weight < 0 || b.weight > MAGLEV_MAX_WEIGHT) {
      throw new LbError('ERR_MAGLEV_BACKEND',
        `Expected an integer weight in [0, ${MAGLEV_MAX_WEIGHT}] for backend ${b.id}, but received ${b.weight}.`);
    }
  }
}

/**
 * The Maglev lookup table of the ordered backend list: entry = index into `backends`, -1 when
 * every weight is 0. `size` must be a prime ≥ MAGLEV_MIN_SIZE.
 */
export function buildMaglevTable(backends: readonly MaglevBackend[], size: number): Int32Array {
  checkTableSize(size);
  checkBackends(backends);
  const offsets = new Float64Array(backends.length);
  const skips = new Float64Array(backends.length);
  const weights = new Float64Array(backends.length);
  backends.forEach((b, i) => {
    const p = maglevPermutation(b.id, size);
    offsets[i] = p.offset;
    skips[i] = p.skip;
    weights[i] = b.weight;
  });
  return populateMaglev(offsets, skips, weights, size);
}
