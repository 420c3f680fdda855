// Text as bytes, one a char, for the loops that scan a page: a typed array's element reads in
// about half the instructions of a string's charCodeAt (the optimizing compiler checks the
// string's representation at every read). Chars past latin1 (never in a page's latin1 text) are
// copied as 0x80: like them, a char that no scanner here treats as markup or URL syntax.
const BEYOND_LATIN1 = /[^\x00-\xff]/; // on a one-byte string irregexp knows at once it cannot match

export const EMPTY_BYTES = Buffer.alloc(0);

/** Is every char of `text` latin1 (one byte)? */
export const isLatin1 = (text: string): boolean => !BEYOND_LATIN1.test(text);

/** The bytes of `text`, written into `scratch` when it is large enough (its bytes past the text's length are stale). */
export function latin1Bytes(text: string, scratch: Buffer = EMPTY_BYTES): Buffer {
  const bytes = scratch.length >= text.length ? scratch : Buffer.allocUnsafe(Math.max(text.length, 2 * scratch.length));
  if (!BEYOND_LATIN1.test(text)) bytes.write(text, 0, 'latin1');
  else for (let i = 0; i < text.length; i++) bytes[i] = Math.min(text.charCodeAt(i), 0x80);
  return bytes;
}
