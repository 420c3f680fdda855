// Character sets: the rewriter works on bytes (HTML syntax is ASCII), so it only needs the page's
// charset to decode the bytes of a URL path. Supported: every ASCII-compatible WHATWG encoding.

const NOT_ASCII_COMPATIBLE = new Set(['utf-16le', 'utf-16be', 'iso-2022-jp', 'replacement']);

// Labels seen, with their WHATWG names: asking costs a TextDecoder (microseconds), and nearly every
// page names its charset, once in the headers and once in a <meta>. Bounded: labels come from pages.
const CANONICAL = new Map<string, string | undefined>();
const CANONICAL_MAX = 256;

/** The WHATWG name of a charset label, or undefined when unknown. */
export function canonicalCharset(label: string): string | undefined {
  if (CANONICAL.has(label)) return CANONICAL.get(label);
  let name: string | undefined;
  try { name = new TextDecoder(label.trim()).encoding; } catch { name = undefined; }
  if (CANONICAL.size >= CANONICAL_MAX) CANONICAL.clear();
  CANONICAL.set(label, name);
  return name;
}

/** Can the rewriter scan bytes of this charset as if they were ASCII? */
export function isAsciiCompatible(encoding: string): boolean {
  return !NOT_ASCII_COMPATIBLE.has(encoding);
}

const CHARSET_PARAM = /;\s*charset\s*=\s*["']?([^"';\s]+)/i;

/** The charset parameter of a Content-Type value (or of a meta content attribute). */
export function charsetOfContentType(contentType: string | undefined): string | undefined {
  if (contentType === undefined) return undefined;
  return CHARSET_PARAM.exec(contentType)?.[1];
}

/** Is this Content-Type value an HTML document? */
export function isHtml(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const semi = contentType.indexOf(';');
  return (semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase() === 'text/html';
}

/** A charset found in a `<meta>` tag, mapped as HTML says (a UTF-16 declaration means UTF-8). */
export function metaCharset(label: string): string | undefined {
  const enc = canonicalCharset(label);
  if (enc === 'utf-16le' || enc === 'utf-16be') return 'utf-8';
  return enc;
}
