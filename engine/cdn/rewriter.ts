// Streaming HTML URL rewriter on htmlparser2's tokenizer. The tokenizer only reports positions;
// the output is the input bytes, spliced: nothing is re-serialized, so every byte outside the
// rewritten URL spans leaves as it came (case, quotes, whitespace, entities, comments, scripts).
//
// Bytes: the input is handed to the tokenizer as latin1 (one char per byte), so positions are
// byte offsets and any ASCII-compatible charset tokenizes correctly; the page's charset is used
// only to read a URL path's non-ASCII bytes.
//
// Memory: only the current open tag (from its '<') and the current <style> text are held back;
// everything before is emitted at once. A tag or style block beyond `maxTagBytes` is emitted
// unmodified and counted; an internal failure switches the page to pass-through and counts it.
import { type TokenizerCallbacks } from 'htmlparser2';
import { decodeHTMLAttribute } from 'entities';
import { charsetOfContentType, metaCharset } from './charset.js';
import { CdnStats } from './stats.js';
import { EMPTY_BYTES, latin1Bytes } from './latin1.js';
import { native } from '../native.js';
import { FastTokenizer, Quoted, type LatinTokenizer } from './tokenizer.js';
import { urlScope, type UrlPolicy } from './url-policy.js';
import { cssUrlSpans, srcsetSpansIn, type Span } from './url-spans.js';
import { pageDecoder, Quoting, rewriteUrlText, type UrlContext, type UrlEdit } from './url-value.js';

export interface RewriterOptions {
  policy: UrlPolicy;
  /** The URL of the page (scheme, host, path, query): relative URLs resolve against it. */
  pageUrl: URL;
  /** Charset from the Content-Type header; it wins over a `<meta>` declaration. */
  charset?: string;
  /** Largest tag (or `<style>` text) rewritten; larger ones pass unmodified. Default 256 KiB. */
  maxTagBytes?: number;
  stats?: CdnStats;
  /**
   * Called for every rewrite (input offsets, replacement): tests and tracing. A plain path keeps
   * its bytes: its edit is an insertion (start = end) of the CDN base before it.
   */
  onEdit?: (start: number, end: number, replacement: string) => void;
}

/** The edits of a flush as (start, end, text length) triples for the addon; one per thread, grown as needed. */
let spliceCuts = new Int32Array(3 * 256);

const enum Attr { Other, Url, Href, Srcset, Style, Charset, HttpEquiv, Content, Rel }

// `<link rel>` values that load a resource; other links (canonical, preconnect, alternate...) name
// pages or origins and stay.
const RESOURCE_RELS = new Set(['stylesheet', 'icon', 'shortcut', 'apple-touch-icon', 'apple-touch-icon-precomposed',
  'mask-icon', 'preload', 'prefetch', 'modulepreload', 'image_src']);

function loadsResource(rel: string): boolean {
  for (const token of rel.toLowerCase().split(/[\t\n\f\r ]+/)) if (RESOURCE_RELS.has(token)) return true;
  return false;
}

/**
 * The up to four bytes at `at` (`n` of them), each with its 0x20 bit set (ASCII letters lower-cased),
 * as one number, the first in the low byte. Written out, not a loop: one check of `s` serves the
 * four reads (onattribend: 1.86 M -> 1.76 M instructions a corpus pass).
 */
function foldedWordAt(s: Uint8Array, at: number, n: number): number {
  if (n >= 4) return (s[at] | s[at + 1] << 8 | s[at + 2] << 16 | s[at + 3] << 24) | 0x20202020;
  let w = s[at] | 0x20;
  if (n > 1) w |= (s[at + 1] | 0x20) << 8;
  if (n > 2) w |= (s[at + 2] | 0x20) << 16;
  return w;
}

/** A lower-case ASCII name (letters and '-' only) as words of four chars (see `foldedWordAt`), and its kind. */
interface KindOfName<K> { readonly words: Int32Array; readonly kind: K }

/**
 * Kinds of lower-case ASCII names, matched in place (case-insensitively, without slicing or
 * lower-casing): every tag and attribute of the page passes here. Names are bucketed by length
 * and first letter, so most names fail on one lookup; the rest are compared with the one or two
 * names in their bucket four chars at a time (an index loop: no iterator). Read from the page's
 * bytes: a byte reads in about half the instructions of a string's charCodeAt. Not url-policy's
 * ExtensionSet, whose table holds names of any chars: looking tags and attributes up in one of
 * those (a hash of the first word read before the bucket) measured 1.1 % more instructions a
 * corpus pass (1.7 % through tsx), most names missing on this class's first lookup.
 */
class NameKinds<K extends number> {
  private readonly buckets: Array<Array<KindOfName<K>> | undefined> = [];

  constructor(names: Array<[string, K]>) {
    for (const [name, kind] of names) {
      const codes = Uint8Array.from(name, (ch) => ch.charCodeAt(0));
      const words = Int32Array.from({ length: Math.ceil(codes.length / 4) }, (_, k) => foldedWordAt(codes, 4 * k, codes.length - 4 * k));
      (this.buckets[this.key(name.length, codes[0])] ??= []).push({ words, kind });
    }
  }

  // A method, not a static one: a static method is reached through the class's context, with an
  // identity check at every call; a method of an object of known shape is inlined as it is.
  private key(length: number, first: number): number {
    return length * 32 + (first & 31);
  }

  /** The kind (0: none) of the name of `length` bytes at `at` in `s`. */
  kindIn(s: Uint8Array, at: number, length: number): K | 0 {
    const bucket = this.buckets[this.key(length, s[at])];
    if (bucket === undefined) return 0;
    for (let b = 0; b < bucket.length; b++) {
      const { words, kind } = bucket[b];
      let k = 0;
      while (k < words.length && foldedWordAt(s, at + 4 * k, length - 4 * k) === words[k]) k++;
      if (k === words.length) return kind;
    }
    return 0;
  }
}

const ATTRIBUTES = new NameKinds([['src', Attr.Url], ['data-src', Attr.Url], ['poster', Attr.Url], ['href', Attr.Href], ['srcset', Attr.Srcset],
  ['data-srcset', Attr.Srcset], ['imagesrcset', Attr.Srcset], ['style', Attr.Style], ['charset', Attr.Charset], ['http-equiv', Attr.HttpEquiv], ['content', Attr.Content],
  ['rel', Attr.Rel]]);

const enum Tag { Other, A, Area, Base, Link, Meta, Style }

const TAGS = new NameKinds([['a', Tag.A], ['area', Tag.Area], ['base', Tag.Base], ['link', Tag.Link], ['meta', Tag.Meta], ['style', Tag.Style]]);

export class HtmlRewriter implements TokenizerCallbacks {
  private readonly tokenizer: LatinTokenizer;
  private readonly ctx: UrlContext;
  private readonly maxTagBytes: number;
  private readonly stats: CdnStats;
  private readonly onEdit: RewriterOptions['onEdit'];
  private readonly charsetFixed: boolean;

  // The bytes that may still change, as latin1 (one char a byte): `held`, from `emitted` to
  // `chunkStart` (what earlier chunks left, usually a tag's beginning or nothing), then the
  // current chunk. Kept apart, not joined: most reads fall in the chunk, a flat string.
  private held = '';
  private chunk = '';
  /** The chunk's bytes (`chunk` is their latin1 text). */
  private bytes: Buffer = EMPTY_BYTES;
  private chunkStart = 0;
  /** First input byte not yet emitted. */
  private emitted = 0;
  private total = 0;
  private edits: UrlEdit[] = [];
  /** The result of the URL being looked at (reused: one object per page, not per URL). */
  private readonly found: UrlEdit = { start: 0, end: 0, text: '' };
  /** The URL spans of the srcset value being looked at, as start, end pairs (reused likewise: -0.07 M instructions a corpus pass). */
  private readonly srcsetBounds: number[] = [];

  private tagStart = -1;
  private openLt = -1;
  private tag = Tag.Other;
  private attrNameStart = 0;
  private attrNameEnd = 0;
  private valueStart = -1;
  private valueEnd = 0;
  private styleStart = -1;
  private baseSeen = false;
  private metaSeen = false;
  private meta: { charset?: string; httpEquiv?: string; content?: string } | undefined;
  /** `<link href>` waits for the end of the tag, where its `rel` is known. */
  private linkHref: { at: number; raw: string; quoting: Quoting } | undefined;
  private linkRel = '';
  private passThrough = false;

  constructor(options: RewriterOptions) {
    this.tokenizer = new FastTokenizer({ decodeEntities: false }, this);
    this.maxTagBytes = options.maxTagBytes ?? 256 * 1024;
    this.stats = options.stats ?? new CdnStats();
    this.onEdit = options.onEdit;
    const headerCharset = options.charset === undefined ? undefined : metaCharset(options.charset);
    this.charsetFixed = headerCharset !== undefined;
    this.ctx = {
      scope: urlScope(options.policy, options.pageUrl, options.pageUrl.host),
      charset: headerCharset ?? 'utf-8',
      memo: new Map(),
    };
    this.stats.pages++;
  }

  /** Feeds a chunk; returns the bytes that can be sent now (maybe empty). */
  write(chunk: Buffer): Buffer {
    const text = chunk.toString('latin1');
    this.chunk = text;
    this.bytes = chunk;
    this.chunkStart = this.total;
    this.total += chunk.length;
    this.stats.bytes += chunk.length;
    if (!this.passThrough) {
      try {
        this.tokenizer.nextChunkBytes(chunk);
        this.tokenizer.write(text);
      } catch { this.fail(); }
    }
    return this.flushTo(this.holdFrom(chunk));
  }

  /** Ends the page; returns the remaining bytes. */
  end(): Buffer {
    if (!this.passThrough) {
      try { this.tokenizer.end(); } catch { this.fail(); }
    }
    return this.flushTo(this.total);
  }

  /** Where the bytes that may still change begin. */
  private holdFrom(chunk: Buffer): number {
    if (this.passThrough) return this.total;
    let from = this.total;
    // A '<' not followed by '>' may open a tag whose name is not complete: keep it, the name is
    // read when the tokenizer reports it.
    const lt = chunk.lastIndexOf(0x3c);
    if (lt >= 0) this.openLt = chunk.indexOf(0x3e, lt) < 0 ? this.total - chunk.length + lt : -1;
    else if (chunk.indexOf(0x3e) >= 0) this.openLt = -1;
    if (this.tagStart >= 0) from = this.tagStart;
    else if (this.openLt >= 0) from = this.openLt;
    if (this.styleStart >= 0 && this.styleStart < from) from = this.styleStart;
    if (this.total - from > this.maxTagBytes) {
      if (this.tagStart >= 0 || this.styleStart >= 0) this.stats.oversizedTags++;
      this.tagStart = -1;
      this.openLt = -1;
      this.styleStart = -1;
      this.tag = Tag.Other;
      return this.total;
    }
    return from;
  }

  private fail(): void {
    this.passThrough = true;
    this.edits = [];
    this.stats.pagesPassedThrough++;
  }

  private flushTo(upTo: number): Buffer {
    const to = Math.max(upTo, this.emitted);
    if (to === this.emitted) {
      this.holdFromNowOn(to);
      return EMPTY_BYTES;
    }
    // The addon copies the bytes around the edits: building the output as a string of slices
    // and turning that into a Buffer (flattening it, then copying it) took a tenth of the time.
    const base = this.emitted;
    let pos = base;
    let texts = '';
    let cuts = spliceCuts;
    let n = 0;
    let done = 0;
    for (; done < this.edits.length && this.edits[done].start < to; done++) {
      const e = this.edits[done];
      if (e.start < pos) continue; // cannot happen; never emit overlapping bytes
      if (3 * n + 3 > cuts.length) {
        const grown = new Int32Array(2 * cuts.length);
        grown.set(cuts);
        cuts = spliceCuts = grown;
      }
      cuts[3 * n] = e.start - base;
      cuts[3 * n + 1] = e.end - base;
      cuts[3 * n + 2] = e.text.length;
      n++;
      texts += e.text;
      pos = e.end;
    }
    if (done > 0) this.edits.splice(0, done);
    const end = Math.max(to, pos);
    const out = native.spliceLatin1(this.held, this.bytes, end - base, cuts, n, texts);
    this.holdFromNowOn(end);
    return out;
  }

  /** Everything before `emitted` is sent; the rest of the chunk joins `held`: the chunk is done with. */
  private holdFromNowOn(emitted: number): void {
    this.held = this.text(emitted, this.total);
    this.emitted = emitted;
    this.chunk = '';
    this.bytes = EMPTY_BYTES;
    this.chunkStart = this.total;
  }

  /** The input between two absolute offsets, as latin1 (they are never before `emitted`). */
  private text(start: number, end: number): string {
    const inChunk = start - this.chunkStart;
    if (inChunk >= 0) return this.chunk.slice(inChunk, end - this.chunkStart);
    if (end <= this.chunkStart) return this.held.slice(start - this.emitted, end - this.emitted);
    return this.held.slice(start - this.emitted) + this.chunk.slice(0, end - this.chunkStart);
  }

  /** The kind of the tag or attribute name at [start, end), read in place when it is in the chunk. */
  private nameKind<K extends number>(names: NameKinds<K>, start: number, end: number): K | 0 {
    return start >= this.chunkStart ? names.kindIn(this.bytes, start - this.chunkStart, end - start) : names.kindIn(Buffer.from(this.text(start, end), 'latin1'), 0, end - start);
  }

  private addEdit(start: number, end: number, replacement: string): void {
    // A store past the end, not push(): TurboFan left push to its builtin here (the array starts
    // with no elements, so the site sees two elements kinds), about 120 instructions an edit.
    const edits = this.edits;
    edits[edits.length] = { start, end, text: replacement };
    this.stats.urls++;
    this.onEdit?.(start, end, replacement);
  }

  /** Rewrites the URL `s[from, to)`, where `s` is the input from offset `at` and `b` its bytes. */
  private rewriteUrl(at: number, s: string, b: Uint8Array, from: number, to: number, quoting: Quoting, entities: boolean): void {
    const f = this.found;
    if (rewriteUrlText(s, b, from, to, this.ctx, quoting, entities, f)) this.addEdit(at + f.start, at + f.end, f.text);
  }

  /**
   * Rewrites the URL that is the input [start, end), or with `srcset` the URLs of that srcset
   * value. Read in place when it is in the chunk: a flat string, cheaper to read than a slice of it.
   */
  private rewriteValueAt(start: number, end: number, quoting: Quoting, srcset: boolean): void {
    let s = this.chunk;
    let b: Uint8Array = this.bytes;
    let at = this.chunkStart;
    if (start < at) {
      s = this.text(start, end);
      b = latin1Bytes(s);
      at = start;
    }
    if (!srcset) return this.rewriteUrl(at, s, b, start - at, end - at, quoting, true);
    const bounds = this.srcsetBounds;
    const n = srcsetSpansIn(b, start - at, end - at, bounds);
    for (let k = 0; k < n; k += 2) this.rewriteUrl(at, s, b, bounds[k], bounds[k + 1], quoting, true);
  }

  /**
   * Rewrites the URLs at `spans` of `raw` (the input from offset `at`; its bytes made only when
   * there is a span: most style attributes and sheets hold no URL).
   */
  private rewriteSpans(at: number, raw: string, spans: Span[], quoting: Quoting, entities: boolean): void {
    if (spans.length === 0) return;
    const b = latin1Bytes(raw);
    for (let k = 0; k < spans.length; k++) this.rewriteUrl(at, raw, b, spans[k][0], spans[k][1], quoting, entities);
  }

  private setBase(raw: string): void {
    if (this.baseSeen) return;
    this.baseSeen = true;
    try {
      const href = decodeHTMLAttribute(pageDecoder(this.ctx).decode(Buffer.from(raw, 'latin1'))).trim();
      const { policy, base, pageHost } = this.ctx.scope;
      this.ctx.scope = urlScope(policy, new URL(href, base), pageHost);
      this.ctx.memo.clear();
    } catch { /* an unusable base: relative URLs keep resolving against the page */ }
  }

  private applyMeta(): void {
    const m = this.meta;
    this.meta = undefined;
    if (m === undefined || this.metaSeen) return;
    let label = m.charset;
    if (label === undefined && m.httpEquiv?.trim().toLowerCase() === 'content-type') label = charsetOfContentType(m.content);
    if (label === undefined) return;
    this.metaSeen = true;
    if (this.charsetFixed) return;
    const enc = metaCharset(label);
    if (enc !== undefined && enc !== this.ctx.charset) {
      this.ctx.charset = enc;
      this.ctx.decoder = undefined;
      this.ctx.memo.clear();
    }
  }

  // --- tokenizer callbacks ---

  onopentagname(start: number, end: number): void {
    this.tagStart = start - 1;
    this.linkHref = undefined;
    this.linkRel = '';
    this.tag = this.nameKind(TAGS, start, end);
  }

  onattribname(start: number, end: number): void {
    this.attrNameStart = start;
    this.attrNameEnd = end;
    this.valueStart = -1;
  }

  onattribdata(start: number, end: number): void {
    if (this.valueStart < 0) this.valueStart = start;
    this.valueEnd = end;
  }

  onattribend(quote: number): void {
    if (this.tagStart < 0 || this.valueStart < 0) return;
    const kind = this.nameKind(ATTRIBUTES, this.attrNameStart, this.attrNameEnd);
    if (kind === Attr.Other) return;
    const at = this.valueStart;
    const quoting = quote === Quoted.Double ? Quoting.Double : quote === Quoted.Single ? Quoting.Single : Quoting.None;
    if (kind === Attr.Url) return this.rewriteValueAt(at, this.valueEnd, quoting, false);
    if (kind === Attr.Srcset) return this.rewriteValueAt(at, this.valueEnd, quoting, true);
    // The other kinds matter on some tags only: their value is read (sliced) only there.
    const tag = this.tag;
    switch (kind) {
      case Attr.Href:
        if (tag === Tag.Base) this.setBase(this.value());
        else if (tag === Tag.Link) this.linkHref = { at, raw: this.value(), quoting };
        else if (this.ctx.scope.policy.rewriteAnchors && (tag === Tag.A || tag === Tag.Area)) this.rewriteValueAt(at, this.valueEnd, quoting, false);
        break;
      case Attr.Style: {
        const raw = this.value();
        this.rewriteSpans(at, raw, cssUrlSpans(raw, 0, raw.length, true), quoting, true);
        break;
      }
      case Attr.Rel:
        if (tag === Tag.Link) this.linkRel = this.value();
        break;
      default:
        if (this.metaSeen || tag !== Tag.Meta) break;
        this.meta ??= {};
        if (kind === Attr.Charset) this.meta.charset = this.value();
        else if (kind === Attr.HttpEquiv) this.meta.httpEquiv = this.value();
        else this.meta.content = this.value();
    }
  }

  /** The raw value of the attribute being ended. */
  private value(): string {
    return this.text(this.valueStart, this.valueEnd);
  }

  onopentagend(endIndex: number): void {
    this.endOfOpenTag(endIndex, false);
  }

  onselfclosingtag(endIndex: number): void {
    this.endOfOpenTag(endIndex, true);
  }

  private endOfOpenTag(endIndex: number, selfClosing: boolean): void {
    if (this.tagStart < 0) return;
    if (this.meta !== undefined) this.applyMeta();
    if (this.linkHref !== undefined) this.endOfLink();
    if (!selfClosing && this.tag === Tag.Style) this.styleStart = endIndex + 1;
    this.tagStart = -1;
  }

  private endOfLink(): void {
    const { at, raw, quoting } = this.linkHref!;
    this.linkHref = undefined;
    const rel = this.linkRel;
    this.linkRel = '';
    if (!loadsResource(rel)) return;
    const edits = this.edits.length;
    this.rewriteUrl(at, raw, latin1Bytes(raw), 0, raw.length, quoting, true);
    if (this.edits.length === edits) return;
    // Keep the edits in input order: later attributes of this tag may have been rewritten first.
    for (let i = this.edits.length - 1; i > 0 && this.edits[i - 1].start > at; i--) {
      [this.edits[i - 1], this.edits[i]] = [this.edits[i], this.edits[i - 1]];
    }
  }

  onclosetag(start: number): void {
    // Inside <style> the tokenizer reports no other end tag than </style>.
    if (this.styleStart < 0) return;
    const from = this.styleStart;
    this.styleStart = -1;
    const css = this.text(from, start - 2);
    this.rewriteSpans(from, css, cssUrlSpans(css), Quoting.RawText, false);
  }

  ontext(): void {}
  ontextentity(): void {}
  onattribentity(): void {}
  oncdata(): void {}
  oncomment(): void {}
  ondeclaration(): void {}
  onprocessinginstruction(): void {}
  onend(): void {}
}

/** Rewrites a whole page at once (tests, the cache filler). */
export function rewriteHtml(page: Buffer, options: RewriterOptions): Buffer {
  const r = new HtmlRewriter(options);
  return Buffer.concat([r.write(page), r.end()]);
}
