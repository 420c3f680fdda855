// The path routing rules are matched against. A back-end reads "/static/../admin/x", "/%61dmin/x"
// and "//admin/x" as "/admin/x" (its URL parser resolves dot segments and percent-encoded
// unreserved characters, and most servers merge slashes, as nginx's merge_slashes), so a rule
// that read them as they came could be walked around: "/admin/" routed to the pool that asks for
// a login would not see them, and they would go to a pool whose server still serves that path.
// The request is forwarded as it came; only the rules read this form. Pure string code.

import { HEX_VALUES } from './http/chars.js';

const enum Ch { Slash = 0x2f, Dot = 0x2e }

/** The value of a hex digit's char code, or -1. */
const hexValue = (c: number): number => (c < 128 ? HEX_VALUES[c] : -1);

/** `target`'s path normalized as above, then its query as it came. Most targets need none of it and are returned as they are. */
export function routingPath(target: string): string {
  if (target.indexOf('%') < 0 && target.indexOf('/.') < 0 && target.indexOf('//') < 0) return target;
  const q = target.indexOf('?');
  const path = q < 0 ? target : target.slice(0, q);
  const query = q < 0 ? '' : target.slice(q);
  return mergeSlashes(removeDotSegments(decodeUnreserved(path))) + query;
}

/** RFC 3986 2.3: ALPHA, DIGIT, '-', '.', '_', '~'. */
function isUnreserved(c: number): boolean {
  return ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === Ch.Dot || c === 0x5f || c === 0x7e;
}

/**
 * Percent-encoded unreserved characters decoded (RFC 3986 6.2.2.2: "%61" is "a"); every other
 * escape kept, "%2F" above all: a path segment holding an encoded '/' is not two segments.
 */
export function decodeUnreserved(path: string): string {
  let out = '';
  let from = 0;
  for (let i = path.indexOf('%'); i >= 0 && i + 2 < path.length; i = path.indexOf('%', i + 1)) {
    const hi = hexValue(path.charCodeAt(i + 1));
    const lo = hexValue(path.charCodeAt(i + 2));
    if (hi < 0 || lo < 0 || !isUnreserved(hi * 16 + lo)) continue;
    out += path.slice(from, i) + String.fromCharCode(hi * 16 + lo);
    from = i + 3;
  }
  return from === 0 ? path : out + path.slice(from);
}

/** RFC 3986 5.2.4, remove_dot_segments, as written there (its input buffer consumed from the left). */
export function removeDotSegments(path: string): string {
  let input = path;
  let output = '';
  while (input.length > 0) {
    if (input.startsWith('../')) input = input.slice(3);
    else if (input.startsWith('./')) input = input.slice(2);
    else if (input.startsWith('/./')) input = input.slice(2);
    else if (input === '/.') input = '/';
    else if (input.startsWith('/../')) {
      input = input.slice(3);
      output = output.slice(0, Math.max(0, output.lastIndexOf('/')));
    } else if (input === '/..') {
      input = '/';
      output = output.slice(0, Math.max(0, output.lastIndexOf('/')));
    } else if (input === '.' || input === '..') input = '';
    else {
      // The first segment, with its leading '/' if any, up to the next '/'.
      const next = input.indexOf('/', input.charCodeAt(0) === Ch.Slash ? 1 : 0);
      const end = next < 0 ? input.length : next;
      output += input.slice(0, end);
      input = input.slice(end);
    }
  }
  return output;
}

/** Runs of '/' as one. */
function mergeSlashes(path: string): string {
  return path.indexOf('//') < 0 ? path : path.replace(/\/{2,}/g, '/');
}
