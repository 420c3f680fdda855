// Where the URLs are inside an attribute value or a style sheet: `srcset` candidates and CSS
// `url()` tokens, as [start, end) spans of the raw (undecoded) text. Spans never overlap and come
// in order, so the rewriter can splice them into the original bytes.

import { isSpace } from './html-space.js';
import { latin1Bytes } from './latin1.js';

export type Span = [start: number, end: number];

/**
 * The first whitespace at or after `from` (or `to`). Chars above space, most of them, skip the
 * call; four of them a turn while there are: a turn's checks (the array's map, its bounds, the
 * stack guard) cost more than its compare.
 */
function nextSpace(b: Uint8Array, from: number, to: number): number {
  let i = from;
  while (i + 3 < to && b[i] > 0x20 && b[i + 1] > 0x20 && b[i + 2] > 0x20 && b[i + 3] > 0x20) i += 4;
  for (; i < to; i++) {
    const c = b[i];
    if (c <= 0x20 && isSpace(c)) break;
  }
  return i;
}

/** URL spans of a `srcset` value (HTML "parse a srcset attribute", without the descriptors' meaning). */
export function srcsetSpans(s: string, from = 0, to = s.length): Span[] {
  const bounds: number[] = [];
  const n = srcsetSpansIn(latin1Bytes(s), from, to, bounds);
  const spans: Span[] = [];
  for (let k = 0; k < n; k += 2) spans.push([bounds[k], bounds[k + 1]]);
  return spans;
}

/**
 * `srcsetSpans` of the value `b[from, to)`, read from the page's bytes (./latin1.ts says why): the
 * spans' starts and ends, by pairs, go into `bounds` from its start (the caller's, reused: no
 * array per span nor per value); returns how many numbers were written.
 */
export function srcsetSpansIn(b: Uint8Array, from: number, to: number, bounds: number[]): number {
  let n = 0;
  let i = from;
  while (i < to) {
    while (i < to && (isSpace(b[i]) || b[i] === 0x2c)) i++;
    if (i >= to) break;
    const start = i;
    i = nextSpace(b, i, to);
    let end = i;
    if (b[end - 1] === 0x2c) {
      // "a.png,b.png 2x": a URL ending in commas has no descriptors.
      while (end > start && b[end - 1] === 0x2c) end--;
    } else {
      let depth = 0;
      for (; i < to; i++) {
        const c = b[i];
        if (c === 0x28) depth++;
        else if (c === 0x29 && depth > 0) depth--;
        else if (c === 0x2c && depth === 0) break;
      }
    }
    if (end > start) {
      bounds[n] = start;
      bounds[n + 1] = end;
      n += 2;
    }
  }
  return n;
}

const URL_OPEN = /url\(/gi;
const QUOTES_IN_ATTRIBUTE = ['&quot;', '&#34;', '&#39;', '&apos;'];

/**
 * URL spans of CSS `url(...)` tokens (quotes excluded). `inAttribute`: the text is a raw
 * attribute value, so quotes may be written as character references.
 */
export function cssUrlSpans(s: string, from = 0, to = s.length, inAttribute = false): Span[] {
  const out: Span[] = [];
  URL_OPEN.lastIndex = from;
  for (;;) {
    const m = URL_OPEN.exec(s);
    if (m === null || m.index >= to) break;
    let i = m.index + 4;
    while (i < to && isSpace(s.charCodeAt(i))) i++;
    let close: string | undefined;
    const c = s[i];
    if (c === '"' || c === "'") close = c;
    else if (inAttribute && c === '&') close = QUOTES_IN_ATTRIBUTE.find((q) => s.startsWith(q, i));
    let end: number;
    if (close !== undefined) {
      i += close.length;
      end = s.indexOf(close, i);
      if (end < 0 || end > to) break;
    } else {
      end = i;
      while (end < to && s.charCodeAt(end) !== 0x29 && !isSpace(s.charCodeAt(end))) end++;
      if (end >= to) break;
    }
    if (end > i) out.push([i, end]);
    URL_OPEN.lastIndex = end;
  }
  return out;
}
