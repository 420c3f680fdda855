// Rewrites one URL found in the page: the raw bytes (a latin1 string, one char a byte) before
// the query or fragment are replaced by the CDN URL; the query and fragment bytes stay as they
// were, so entities, charset-specific bytes and odd quoting there are never re-serialized.
import { decodeHTMLAttribute } from 'entities';
import { cdnUrlIn, hasOtherSchemeAt, pageOriginEnd, plainCdnUrl, type UrlScope } from './url-policy.js';
import { isSpace } from './html-space.js';

export interface UrlContext {
  /** The policy, the page host, and the base for relative URLs (the page URL, or `<base href>`). */
  scope: UrlScope;
  /** The page's charset (to read non-ASCII bytes of a path). */
  charset: string;
  /** Its decoder, made on first use (see `pageDecoder`): most pages never need it. */
  decoder?: TextDecoder;
  /**
   * CDN URL (or null: stays) by raw URL head, for this page, for the URLs that need the URL
   * parser: the same URL comes back in src, srcset, preload links... Cleared when the base or
   * the charset changes.
   */
  memo: Map<string, string | null>;
}

const MEMO_MAX = 4096;

/** How the replacement is quoted in the page, so it can be escaped to stay a single value. */
export const enum Quoting { None, Single, Double, RawText }

const NON_ASCII = /[\x80-\xff]/;

function fatalDecoder(charset: string): TextDecoder | undefined {
  try { return new TextDecoder(charset, { fatal: true }); } catch { return undefined; }
}

/** The page's decoder, strict (invalid bytes throw). Made when first needed: it costs microseconds. */
export function pageDecoder(ctx: UrlContext): TextDecoder {
  return ctx.decoder ??= fatalDecoder(ctx.charset) ?? new TextDecoder('utf-8', { fatal: true });
}

function decodeBytes(raw: string, ctx: UrlContext): string {
  return NON_ASCII.test(raw) ? pageDecoder(ctx).decode(Buffer.from(raw, 'latin1')) : raw;
}

function escapeFor(url: string, quoting: Quoting): string {
  if (quoting === Quoting.RawText) return url;
  let out = url.includes('&') ? url.replace(/&/g, '&amp;') : url;
  if (quoting === Quoting.Single && out.includes("'")) out = out.replace(/'/g, '&#39;');
  return out;
}

/** Where the query or fragment begins ("&#" starts a character reference, not a fragment). */
function headEnd(raw: string, entities: boolean): number {
  // indexOf searches natively: much faster than a charCodeAt loop over every URL.
  const query = raw.indexOf('?');
  let hash = raw.indexOf('#');
  while (entities && hash > 0 && raw.charCodeAt(hash - 1) === 0x26) hash = raw.indexOf('#', hash + 1);
  if (hash < 0) return query < 0 ? raw.length : query;
  return query < 0 ? hash : Math.min(query, hash);
}

function cdnHead(rawHead: string, ctx: UrlContext, entities: boolean): string | undefined {
  let head: string;
  try { head = decodeBytes(rawHead, ctx); } catch { return undefined; } // bytes invalid in the page's charset: leave the URL

  if (entities && head.includes('&')) {
    head = decodeHTMLAttribute(head);
    if (/[?#]/.test(head)) return undefined; // a query hidden in a character reference: leave it
  }
  return cdnUrlIn(ctx.scope, head);
}

/** Where the replaced part of a URL is (offsets into its raw text) and what replaces it (start = end: goes before it). */
export interface UrlEdit { start: number; end: number; text: string }

/**
 * Finds the replacement of the raw URL `s[from, to)`, whose latin1 bytes are `b` (same offsets): true when it is rewritten, with `out` set
 * to the span (offsets in `s`) of its head (surrounding whitespace, query and fragment excluded:
 * they stay byte for byte) and the escaped CDN URL, or for a plain path to an insertion of its
 * CDN base before it. A URL with another scheme (data:, mailto:...) is known to stay in place.
 * The URL is read in place: `s` may be the whole chunk of page it is in. `out` is the caller's,
 * reused: no allocation per URL.
 * `entities`: the text is an attribute value (character references are decoded to read it).
 */
export function rewriteUrlText(s: string, b: Uint8Array, from: number, to: number, ctx: UrlContext, quoting: Quoting, entities: boolean,
  out: UrlEdit): boolean {
  // A plain path (most URLs), maybe with a query or fragment, is judged in one pass over it,
  // cheaper than a lookup, and its CDN base needs no escaping.
  const plain = plainCdnUrl(ctx.scope, b, from, to, true);
  if (plain !== undefined) return plain !== null && replaces(from, from, plain, out);
  // On the page's own origin: the CDN base replaces the scheme and host.
  const path = pageOriginEnd(ctx.scope, b, from, to);
  const onPage = path < 0 ? undefined : plainCdnUrl(ctx.scope, b, path, to, true);
  if (onPage !== undefined) return onPage !== null && replaces(from, path, onPage, out);
  return !hasOtherSchemeAt(b, from, s.length) && rewriteOtherUrl(s.slice(from, to), b, from, ctx, quoting, entities, out);
}

/** The edit that puts `base` in place of `[start, end)`: a plain path's bytes after it stay (start = end: an insertion before the path). */
function replaces(start: number, end: number, base: string, out: UrlEdit): true {
  out.start = start;
  out.end = end;
  out.text = base;
  return true;
}

/** `rewriteUrlText` for a URL that does not start with a plain path: `raw` is at `at` in the page text, whose bytes are `b`. */
function rewriteOtherUrl(raw: string, b: Uint8Array, at: number, ctx: UrlContext, quoting: Quoting, entities: boolean, out: UrlEdit): boolean {
  const cut = headEnd(raw, entities);
  let from = 0;
  while (from < cut && isSpace(raw.charCodeAt(from))) from++;
  let to = cut;
  if (cut === raw.length) while (to > from && isSpace(raw.charCodeAt(to - 1))) to--;
  // The URL parser strips spaces around the whole URL only: a path that ends in one before a
  // query or fragment keeps it (as %20), which the rules were not written for. Left as it is.
  else if (to > from && isSpace(raw.charCodeAt(to - 1))) return false;
  const rawHead = from === 0 && to === raw.length ? raw : raw.slice(from, to);
  const plain = plainCdnUrl(ctx.scope, b, at + from, at + to);
  if (plain !== undefined) return plain !== null && replaces(at + from, at + from, plain, out);
  if (hasOtherSchemeAt(b, at + from, at + to)) return false; // data:, mailto:...: no lookup of a long key
  const cdn = memoisedCdnHead(rawHead, ctx, entities);
  if (cdn === null) return false;
  out.start = at + from;
  out.end = at + to;
  out.text = escapeFor(cdn, quoting);
  return true;
}

function memoisedCdnHead(rawHead: string, ctx: UrlContext, entities: boolean): string | null {
  // With a character reference the result depends on `entities`: not memoised (rare).
  const memoise = !rawHead.includes('&');
  let cdn = memoise ? ctx.memo.get(rawHead) : undefined;
  if (cdn === undefined) {
    cdn = cdnHead(rawHead, ctx, entities) ?? null;
    if (memoise) {
      if (ctx.memo.size >= MEMO_MAX) ctx.memo.clear();
      ctx.memo.set(rawHead, cdn);
    }
  }
  return cdn;
}
