// SipHash-2-4 (Aumasson & Bernstein, "SipHash: a fast short-input PRF", 2012), 64-bit output.
// Control plane only (Maglev permutations of node ids): BigInt keeps it short and exact.
// Chosen because it is fully specified, keyed (two keys give two independent hashes of the
// same id) and available elsewhere for cross-checks (`openssl mac ... SIPHASH`).

const MASK = (1n << 64n) - 1n;

function rotl(x: bigint, b: bigint): bigint {
  return ((x << b) | (x >> (64n - b))) & MASK;
}

function readLe64(bytes: Uint8Array, at: number): bigint {
  let v = 0n;
  for (let i = 7; i >= 0; i--) v = (v << 8n) | BigInt(bytes[at + i]);
  return v;
}

/** A 128-bit SipHash key as its two little-endian 64-bit halves. */
export interface SipKey { k0: bigint; k1: bigint }

/** The key as 16 bytes (SipHash's own byte order). */
export function sipKeyFromBytes(key: Uint8Array): SipKey {
  return { k0: readLe64(key, 0), k1: readLe64(key, 8) };
}

/** SipHash-2-4 of `msg` under `key`, as an unsigned 64-bit BigInt. */
export function siphash24(key: SipKey, msg: Uint8Array): bigint {
  let v0 = key.k0 ^ 0x736f6d6570736575n;
  let v1 = key.k1 ^ 0x646f72616e646f6dn;
  let v2 = key.k0 ^ 0x6c7967656e657261n;
  let v3 = key.k1 ^ 0x7465646279746573n;
  const round = (): void => {
    v0 = (v0 + v1) & MASK; v1 = rotl(v1, 13n); v1 ^= v0; v0 = rotl(v0, 32n);
    v2 = (v2 + v3) & MASK; v3 = rotl(v3, 16n); v3 ^= v2;
    v0 = (v0 + v3) & MASK; v3 = rotl(v3, 21n); v3 ^= v0;
    v2 = (v2 + v1) & MASK; v1 = rotl(v1, 17n); v1 ^= v2; v2 = rotl(v2, 32n);
  };
  const whole = msg.length - (msg.length % 8);
  for (let i = 0; i < whole; i += 8) {
    const m = readLe64(msg, i);
    v3 ^= m; round(); round(); v0 ^= m;
  }
  // Last block: the remaining bytes, and the message length in the top byte.
  let last = BigInt(msg.length & 0xff) << 56n;
  for (let i = whole; i < msg.length; i++) last |= BigInt(msg[i]) << BigInt(8 * (i - whole));
  v3 ^= last; round(); round(); v0 ^= last;
  v2 ^= 0xffn;
  round(); round(); round(); round();
  return v0 ^ v1 ^ v2 ^ v3;
}
