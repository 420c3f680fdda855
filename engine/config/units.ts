// Operator-friendly units: durations ("250ms", "2s") and byte sizes ("64MiB") in the config file,
// plain numbers (milliseconds, bytes) in the parsed Config.
import { z } from 'zod';

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)$/;
const DURATION_FACTOR: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds from "250ms", "1.5s", "2m", "1h" or a number of milliseconds; NaN when malformed. */
export function parseDuration(v: string | number): number {
  if (typeof v === 'number') return Number.isInteger(v) && v >= 0 ? v : NaN;
  const m = DURATION.exec(v.trim());
  if (!m) return NaN;
  return Math.round(Number(m[1]) * DURATION_FACTOR[m[2]]);
}

const SIZE = /^(\d+(?:\.\d+)?)\s*(B|KB|KiB|MB|MiB|GB|GiB)?$/i;
const SIZE_FACTOR: Record<string, number> = {
  b: 1, kb: 1e3, kib: 1024, mb: 1e6, mib: 1024 ** 2, gb: 1e9, gib: 1024 ** 3,
};

/** Bytes from "64MiB", "1GB", "4096" or a number of bytes; NaN when malformed. */
export function parseSize(v: string | number): number {
  if (typeof v === 'number') return Number.isInteger(v) && v >= 0 ? v : NaN;
  const m = SIZE.exec(v.trim());
  if (!m) return NaN;
  return Math.round(Number(m[1]) * SIZE_FACTOR[(m[2] ?? 'b').toLowerCase()]);
}

function unitSchema(
  parse: (v: string | number) => number, what: string, unit: string, min: number, max: number,
) {
  const kind = unit === 'ms' ? 'duration' : 'size';
  const bounds = `between ${min}${unit} and ${max}${unit}`;
  return z
    .union([z.number(), z.string()], { error: `expected ${what}` })
    .transform((v, ctx) => {
      const n = parse(v);
      if (Number.isNaN(n)) ctx.addIssue({ code: 'custom', message: `expected ${what}` });
      else if (n < min || n > max) ctx.addIssue({ code: 'custom', message: `expected a value ${bounds}` });
      return n;
    })
    .meta({ 'x-unit': kind });
}

/** A duration in the file ("250ms", "2s", or milliseconds), milliseconds in the Config. */
export function duration(minMs = 0, maxMs = 86_400_000) {
  return unitSchema(parseDuration, 'a duration like "250ms" or "2s"', 'ms', minMs, maxMs);
}

/** A byte size in the file ("64MiB", "1GB", or bytes), bytes in the Config. */
export function byteSize(min = 0, max = 2 ** 40) {
  return unitSchema(parseSize, 'a size like "64MiB" or a number of bytes', ' bytes', min, max);
}
