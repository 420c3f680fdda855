// Range requests on a stored page (RFC 9110 §14): a single byte range is answered 206, a range
// that starts past the end 416; several ranges, other units, a malformed header or an If-Range
// that does not hold get the whole page (a server may always ignore Range). Pure functions.

export interface ByteRange { start: number; end: number }

const SINGLE_BYTE_RANGE = /^bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i;

/** The byte range of a Range value for a body of `size` bytes: a range, 'unsatisfiable', or undefined (send it all). */
export function byteRange(range: string | undefined, size: number): ByteRange | 'unsatisfiable' | undefined {
  const m = range === undefined ? null : SINGLE_BYTE_RANGE.exec(range);
  if (m === null || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    return suffix === 0 || size === 0 ? 'unsatisfiable' : { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const last = m[2] === '' ? Infinity : Number(m[2]);
  if (last < start) return undefined;
  return start >= size ? 'unsatisfiable' : { start, end: Math.min(last, size - 1) };
}

/**
 * Does an If-Range hold for a page with these validators? An entity tag must match strongly
 * (a weak one never does), a date must equal Last-Modified. No If-Range: it holds.
 */
export function ifRangeHolds(ifRange: string | undefined, etag: string | undefined, lastModified: string | undefined): boolean {
  if (ifRange === undefined) return true;
  const v = ifRange.trim();
  if (v.startsWith('"') || v.startsWith('W/')) return !v.startsWith('W/') && etag !== undefined && !etag.startsWith('W/') && v === etag.trim();
  const date = Date.parse(v);
  return !Number.isNaN(date) && date === Date.parse(lastModified ?? '');
}
