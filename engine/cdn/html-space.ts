// HTML's ASCII whitespace (tab, LF, FF, CR, space): one test, for the tokenizer and the URL
// scanners alike. Most chars they read are above space: one compare tells those; the four
// below it are bits of one number, not a table (a table read checks its map and bounds, about
// 7 instructions).
const enum Ch { Space = 0x20 }
const enum BelowSpace { Bits = (1 << 0x09) | (1 << 0x0a) | (1 << 0x0c) | (1 << 0x0d) }

export function isSpace(c: number): boolean {
  return c === Ch.Space || (c < Ch.Space && ((BelowSpace.Bits >>> c) & 1) !== 0);
}
