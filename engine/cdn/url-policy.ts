// Which URLs of a page are served from the CDN, and from which shard. Pure functions: the
// rewriter asks `cdnUrlIn(scope, rawUrl)` for every URL-bearing attribute value.
import { LbError } from '../errors.js';
import { isLatin1, latin1Bytes } from './latin1.js';

/** The rewrite rules of one route (structurally the `cdn` block of the config schema). */
export interface RewriteRules {
  /** CDN base URLs; several shard URLs by a stable hash of the path. */
  baseUrls: readonly string[];
  include: UrlMatch;
  exclude?: UrlMatch;
  /** Also rewrite `<a href>` / `<area href>` (by default only resource URLs). */
  rewriteAnchors?: boolean;
}

export interface UrlMatch {
  /** Path prefixes ("/static/"). */
  prefixes?: readonly string[];
  /** File extensions with the dot (".png"), case-insensitive. */
  extensions?: readonly string[];
  /** Hosts ("img.example.com" or "*.example.com"): absolute URLs of these hosts. */
  hosts?: readonly string[];
}

interface CompiledMatch {
  prefixes: readonly string[];
  hosts: readonly string[];
}

/** What a path's extension or prefixes say of it: nothing, include, or exclude (which wins). */
const enum Verdict { None = 0, Include = 1, Exclude = 2 }

/**
 * Strings as latin1 bytes, compared with a page's bytes where they are: every plain URL of a page
 * is compared with them, and a string's charCodeAt checks its representation at every read (a
 * Uint16Array's codes, a Smi check and their own map). A string with a char past latin1 matches
 * no page bytes: it is left out.
 */
type Codes = readonly Uint8Array[];

function codesOf(strings: readonly string[]): Codes {
  return strings.filter(isLatin1).map((x) => Buffer.from(x, 'latin1'));
}

/** The bit (0x20) that makes an ASCII letter lower case, set where `x[at, at + n)` (as `ExtensionSet.wordAt`) holds a lower-case one. */
function caseBitsAt(x: Uint8Array, at: number, n: number): number {
  let bits = 0;
  for (let i = 0; i < Math.min(n, 4); i++) if ((x[at + i] - 0x61) >>> 0 < 26) bits |= 0x20 << 8 * i;
  return bits;
}

/**
 * File extensions (".png"), matched case-insensitively where they are: every plain URL of a page
 * is looked up, and slicing, lower-casing and hashing its extension for a Set costs more than
 * reading it. The rules' included and excluded ones are one set, each with its verdict: one
 * lookup a path. Bucketed by `bucketOf`, kept as int32 words (`wordAt`) with their case
 * bits: a path's word `w` matches where `(w | caseBits) === word` (an ASCII letter in either
 * case, any other char as it is), where a char-by-char compare took 31 instructions a char. In
 * one Int32Array: where bucket k's records are (`table[k]` to `table[k + 1]`), then the records,
 * `[length, verdict, word, caseBits, ...]` (a pair a word). With `PrefixSet`'s one lookup:
 * plainCdnUrl 3.84 M -> 3.48 M instructions a corpus pass (26.89 M -> 26.70 M in all).
 */
export class ExtensionSet {
  private readonly table: Int32Array;
  private readonly longest: number = 0;

  /** `include` and `exclude` extensions with the dot; one in both is excluded. */
  constructor(include: readonly string[], exclude: readonly string[] = []) {
    const verdicts = new Map<string, Verdict>();
    for (const [list, verdict] of [[include, Verdict.Include], [exclude, Verdict.Exclude]] as const) {
      for (const e of list.map((x) => x.toLowerCase())) if (e !== '' && isLatin1(e)) verdicts.set(e, verdict);
    }
    const byBucket: number[][] = Array.from({ length: 512 }, () => []);
    for (const [e, verdict] of verdicts) {
      const x = Buffer.from(e, 'latin1');
      const record = byBucket[this.bucketOf(x.length, this.wordAt(x, 0, x.length))];
      record.push(x.length, verdict);
      for (let i = 0; i < x.length; i += 4) record.push(this.wordAt(x, i, x.length - i), caseBitsAt(x, i, x.length - i));
      this.longest = Math.max(this.longest, x.length);
    }
    const starts = [513];
    for (const records of byBucket) starts.push(starts[starts.length - 1] + records.length);
    this.table = Int32Array.from([...starts, ...byBucket.flat()]);
  }

  /** The verdict of the extension `b[from, to)` (latin1 bytes). */
  verdictAt(b: Uint8Array, from: number, to: number): Verdict {
    const n = to - from;
    if (n === 0 || n > this.longest) return Verdict.None;
    const first = this.wordAt(b, from, n);
    const bucket = this.bucketOf(n, first);
    const records = this.table;
    const end = records[bucket + 1];
    for (let r = records[bucket]; r < end; r += 2 + 2 * ((records[r] + 3) >> 2)) {
      if (records[r] !== n) continue;
      let w = first;
      for (let i = 0, k = r + 2; (w | records[k + 1]) === records[k]; k += 2) {
        i += 4;
        if (i >= n) return records[r + 1];
        w = this.wordAt(b, from + i, n - i);
      }
    }
    return Verdict.None;
  }

  // The helpers are methods, not module functions: a module function is reached through the
  // module context, and checked at every call; a method of an object of known shape is not.

  /**
   * The `n` bytes of `b` from `at` (four when there are more), the first in the low byte, as an
   * int32: an extension is compared four chars at a time (one compare, not a loop turn a char).
   */
  private wordAt(b: Uint8Array, at: number, n: number): number {
    // `| 0`: int32 adds, with no overflow checks (the bytes are in `b`).
    if (n >= 4) return b[at] | b[(at + 1) | 0] << 8 | b[(at + 2) | 0] << 16 | b[(at + 3) | 0] << 24;
    let w = b[at];
    if (n > 1) w |= b[(at + 1) | 0] << 8;
    if (n > 2) w |= b[(at + 2) | 0] << 16;
    return w;
  }

  /**
   * The bucket of an extension of `length` chars whose first word (`wordAt`) is `first`: a hash of
   * its length and its first four chars with every case bit set (the same for any case of them).
   */
  private bucketOf(length: number, first: number): number {
    return (length & 15) << 5 | Math.imul(first | 0x20202020, 0x9e3779b1) >>> 27;
  }

  /** Is `b[from, to)` (latin1 bytes) one of the included extensions (and none of the excluded)? */
  hasAt(b: Uint8Array, from: number, to: number): boolean {
    return this.verdictAt(b, from, to) === Verdict.Include;
  }
}

export interface UrlPolicy {
  /** Shard bases without a trailing slash ("https://cdn1.example.net/site"). */
  bases: readonly string[];
  /** Hosts of the bases: URLs already on the CDN are left alone. */
  cdnHosts: ReadonlySet<string>;
  include: CompiledMatch;
  exclude: CompiledMatch;
  /** The extensions of both. */
  extensions: ExtensionSet;
  /** How a path from the root is judged. */
  rootPaths: PathRules;
  rewriteAnchors: boolean;
}

function compileMatch(m: UrlMatch | undefined): CompiledMatch {
  return {
    prefixes: [...(m?.prefixes ?? [])],
    hosts: (m?.hosts ?? []).map((h) => h.toLowerCase()),
  };
}

/** Validates and compiles the rules once per config (off the hot path). */
export function compilePolicy(rules: RewriteRules): UrlPolicy {
  if (rules.baseUrls.length === 0) throw new LbError('ERR_CDN_NO_BASE_URL', 'The CDN rules name no base URL.');
  const bases: string[] = [];
  const cdnHosts = new Set<string>();
  for (const b of rules.baseUrls) {
    let u: URL;
    try { u = new URL(b); } catch { throw new LbError('ERR_CDN_BAD_BASE_URL', `CDN base URL ${JSON.stringify(b)} is not a URL.`); }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') {
      throw new LbError('ERR_CDN_BAD_BASE_URL', `CDN base URL ${JSON.stringify(b)} is not http or https.`);
    }
    if (u.search !== '' || u.hash !== '') throw new LbError('ERR_CDN_BAD_BASE_URL', `CDN base URL ${JSON.stringify(b)} has a query or fragment.`);
    bases.push(u.href.replace(/\/+$/, ''));
    cdnHosts.add(u.host);
  }
  const include = compileMatch(rules.include);
  const exclude = compileMatch(rules.exclude);
  return { bases, cdnHosts, include, exclude, extensions: new ExtensionSet(rules.include.extensions ?? [], rules.exclude?.extensions ?? []),
    rootPaths: { prefixes: new PrefixSet(include.prefixes, exclude.prefixes), bases }, rewriteAnchors: rules.rewriteAnchors ?? false };
}

function hostMatches(hosts: readonly string[], host: string): boolean {
  for (const h of hosts) {
    if (h === host) return true;
    if (h.startsWith('*.') && host.endsWith(h.slice(1))) return true;
  }
  return false;
}

/** Where the extension of the last path segment starts (its dot), or the path's length when it has none. */
function extensionStart(pathname: string): number {
  const dot = pathname.lastIndexOf('.');
  return dot < 0 || pathname.indexOf('/', dot) >= 0 ? pathname.length : dot;
}

/** Lower-case extension of the last path segment, with the dot ("" when none). */
export function extensionOf(pathname: string): string {
  return pathname.slice(extensionStart(pathname)).toLowerCase();
}

/** The prefixes of a bucket of a `PrefixSet`. */
interface PrefixBucket { include: Codes; exclude: Codes }

function prefixBucketOf(include: Codes, exclude: Codes): PrefixBucket | undefined {
  return include.length + exclude.length > 0 ? { include, exclude } : undefined;
}

/**
 * Path prefixes ("/static/"), matched where they are: every plain URL of a page is tested with the
 * include and the exclude ones. Bucketed by their first two chars, so a path is compared only with
 * those that start as it does (most paths with none of the exclude ones, where each prefix cost
 * about 85 instructions: plainCdnUrl 4.12 M -> 3.92 M a corpus pass); prefixes shorter than two
 * chars ('' and "/") are kept apart. The include and exclude ones in one set: one bucket lookup a
 * path, and a path its extension sends is compared with the excluded ones only.
 */
export class PrefixSet {
  private readonly short: PrefixBucket | undefined;
  private readonly buckets: Array<PrefixBucket | undefined> = [];

  constructor(include: readonly string[], exclude: readonly string[] = []) {
    const [inc, exc] = [codesOf(include), codesOf(exclude)];
    const isShort = (p: Uint8Array): boolean => p.length < 2;
    this.short = prefixBucketOf(inc.filter(isShort), exc.filter(isShort));
    const keys = new Set([...inc, ...exc].filter((p) => !isShort(p)).map((p) => this.bucketOf(p[0], p[1])));
    const inBucket = (codes: Codes, key: number): Codes => codes.filter((p) => !isShort(p) && this.bucketOf(p[0], p[1]) === key);
    for (const key of keys) this.buckets[key] = prefixBucketOf(inBucket(inc, key), inBucket(exc, key));
  }

  /**
   * Does the path `b[from, to)` go, when `goes` is what the rules say of it besides its
   * prefixes (its host or extension)? Not when it starts with an excluded prefix; else when
   * `goes` or it starts with an included one.
   */
  goes(b: Uint8Array, from: number, to: number, goes: boolean): boolean {
    const short = this.short;
    if (short !== undefined) {
      if (short.exclude.length > 0 && this.startsWithOne(short.exclude, b, from, to)) return false;
      goes ||= this.startsWithOne(short.include, b, from, to);
    }
    if (to - from < 2) return goes;
    const bucket = this.buckets[this.bucketOf(b[from], b[from + 1])];
    if (bucket === undefined) return goes;
    if (bucket.exclude.length > 0 && this.startsWithOne(bucket.exclude, b, from, to)) return false;
    return goes || this.startsWithOne(bucket.include, b, from, to);
  }

  // The helpers are methods, as ExtensionSet's are.

  /** The bucket of a prefix whose first two chars are `first` and `second`. */
  private bucketOf(first: number, second: number): number {
    return ((first & 31) << 5) | (second & 31);
  }

  /**
   * Does the path `b[from, to)` start with one of `prefixes`? Read in place (an index loop: no array
   * iterator per URL), each from its end: prefixes share their first chars ("/", "/static/").
   */
  private startsWithOne(prefixes: Codes, b: Uint8Array, from: number, to: number): boolean {
    for (let k = 0; k < prefixes.length; k++) {
      const p = prefixes[k];
      let i = p.length | 0; // `| 0`: TurboFan types a typed array's length as a double; the index stays an int32
      if (i > to - from) continue;
      while (i > 0 && b[from + i - 1] === p[i - 1]) i--;
      if (i === 0) return true;
    }
    return false;
  }

  /** Does the path `b[from, to)` start with one of the included prefixes and none of the excluded? */
  hasAt(b: Uint8Array, from: number, to: number): boolean {
    return this.goes(b, from, to, false);
  }
}

/** The parts of a resolved URL the policy reads (a WHATWG URL has them all). */
export interface ResolvedUrl { protocol: string; host: string; hostname: string; pathname: string }

/** What scheme and host decide alone: the URL stays, it goes (a listed host), or its path decides. */
const enum HostVerdict { Stays, Listed, ByPath }

function hostVerdict(policy: UrlPolicy, url: Omit<ResolvedUrl, 'pathname'>, pageHost: string): HostVerdict {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return HostVerdict.Stays;
  if (policy.cdnHosts.has(url.host)) return HostVerdict.Stays;
  const listed = hostMatches(policy.include.hosts, url.hostname);
  if (url.host !== pageHost && !listed) return HostVerdict.Stays;
  if (hostMatches(policy.exclude.hosts, url.hostname)) return HostVerdict.Stays;
  return listed ? HostVerdict.Listed : HostVerdict.ByPath;
}

/** The path prefixes to test a path against, and the CDN bases its CDN URL starts with. */
interface PathRules { prefixes: PrefixSet; bases: readonly string[] }

/** Does the path `b[from, to)`, whose extension is `b[ext, to)`, go to the CDN? An excluded extension or prefix wins. */
function pathGoes(policy: UrlPolicy, host: HostVerdict, rules: PathRules, b: Uint8Array, from: number, to: number, ext: number): boolean {
  if (host === HostVerdict.Stays) return false;
  const byExtension = policy.extensions.verdictAt(b, ext, to);
  return byExtension !== Verdict.Exclude && rules.prefixes.goes(b, from, to, host === HostVerdict.Listed || byExtension === Verdict.Include);
}

/**
 * The rules for a path relative to the directory `dir`, tested without joining the two: a
 * prefix within `dir` always matches (''), one that goes on past it matches by its rest, any
 * other never. The CDN bases end with `dir`.
 */
function dirPaths(policy: UrlPolicy, dir: string): PathRules {
  const within = (prefixes: readonly string[]): string[] => prefixes.flatMap((p) => dir.startsWith(p) ? [''] : p.startsWith(dir) ? [p.slice(dir.length)] : []);
  return { prefixes: new PrefixSet(within(policy.include.prefixes), within(policy.exclude.prefixes)), bases: policy.bases.map((b) => b + dir) };
}

/** `dirPaths` by policy and directory, made once: every page (a rewriter's scope) asks for its own. */
const DIR_PATHS = new WeakMap<UrlPolicy, Map<string, PathRules>>();
const DIR_PATHS_MAX = 1024;

function memoisedDirPaths(policy: UrlPolicy, dir: string): PathRules {
  let byDir = DIR_PATHS.get(policy);
  if (byDir === undefined) DIR_PATHS.set(policy, byDir = new Map());
  let rules = byDir.get(dir);
  if (rules === undefined) {
    if (byDir.size >= DIR_PATHS_MAX) byDir.clear();
    byDir.set(dir, rules = dirPaths(policy, dir));
  }
  return rules;
}

/** Is this absolute URL, found on a page of `pageHost`, served from the CDN? */
export function shouldRewrite(policy: UrlPolicy, url: ResolvedUrl, pageHost: string): boolean {
  const { pathname } = url;
  // A URL's pathname is ASCII (percent-encoded).
  return pathGoes(policy, hostVerdict(policy, url, pageHost), policy.rootPaths, latin1Bytes(pathname), 0, pathname.length, extensionStart(pathname));
}

// FNV-1a over the path: the same path always goes to the same shard, in every process.
// Constants that hot loops read are const enum members, which tsc writes into the code as
// literals: a module-level const is a context slot, loaded and type-checked at every turn of a
// loop. The offset is kept as its int32 value, so the hash stays an int32 from its first step.
const enum Fnv { Offset = 0x811c9dc5 | 0, Prime = 0x01000193 }

function fnv(s: string, h: number = Fnv.Offset): number {
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), Fnv.Prime);
  return h;
}

/**
 * The shard of a path of hash `hash` among `shards` (at least one). `| 0` changes nothing (the
 * remainder is below `shards`) but makes the result an int32, which TurboFan divides as a uint32:
 * used as it was, as an array index, it was divided as doubles (x87 fprem; plainCdnUrl 18
 * instructions less a URL, 3.48 M -> 3.46 M a corpus pass).
 */
const shardOf = (hash: number, shards: number): number => ((hash >>> 0) % shards) | 0;

export function shardIndex(pathname: string, shards: number): number {
  return shardOf(fnv(pathname), shards);
}

/** The CDN URL (base + path) of an absolute URL's path; its query and fragment are not part of it. */
export function cdnPathUrl(policy: UrlPolicy, pathname: string): string {
  return policy.bases[shardOf(fnv(pathname), policy.bases.length)] + pathname;
}

/**
 * What resolving a page's URLs reads from its base, read once per page (a URL's getters build a
 * new string at every call) with the policy and the page host they are judged by.
 */
export interface UrlScope {
  policy: UrlPolicy;
  base: URL;
  pageHost: string;
  /**
   * The base's directory, when plain paths resolve against it by concatenation: the base is
   * http(s), and neither it nor a CDN base holds a character HTML escapes ('&', "'").
   */
  baseDir: string | undefined;
  /** The FNV hash state after `baseDir`: a relative plain path's shard hash goes on from it. */
  baseDirHash: number;
  /** What the base's scheme and host decide for the URLs that resolve against it. */
  baseHost: HostVerdict;
  /** How plain paths are judged: from the root ("/...") and from `baseDir` ("a/b.png"). */
  rootPaths: PathRules;
  dirPaths: PathRules;
  /**
   * The page host's bytes, when a plain path on it is judged as one from the root: the base is
   * on the page host and `baseDir` is set (so `baseHost` is the page host's verdict too).
   */
  pageHostBytes: Uint8Array | undefined;
}

export function urlScope(policy: UrlPolicy, base: URL, pageHost: string): UrlScope {
  const { protocol, pathname } = base;
  const http = protocol === 'http:' || protocol === 'https:';
  const dir = pathname.slice(0, pathname.lastIndexOf('/') + 1);
  const baseDir = http && !hasHtmlSpecial(dir) && !policy.bases.some(hasHtmlSpecial) ? dir : undefined;
  return { policy, base, pageHost, baseDir, baseDirHash: fnv(baseDir ?? ''), baseHost: hostVerdict(policy, base, pageHost),
    rootPaths: policy.rootPaths, dirPaths: memoisedDirPaths(policy, baseDir ?? ''),
    pageHostBytes: baseDir !== undefined && base.host === pageHost ? latin1Bytes(pageHost) : undefined }; // a URL's host is ASCII
}

/** The chars this file's byte loops compare with. */
const enum Ch { Slash = 0x2f, Dot = 0x2e, Query = 0x3f, Fragment = 0x23, At = 0x40, Underscore = 0x5f, Tilde = 0x7e, Colon = 0x3a, Plus = 0x2b, Minus = 0x2d,
  LowerH = 0x68, LowerP = 0x70, LowerS = 0x73, LowerT = 0x74 }

/**
 * Where the path starts in the URL `b[from, to)` when it is `http://` or `https://` and the page's
 * host as the URL parser writes it (lower case, no default port) then '/', else -1. Pages name
 * their own resources so (WordPress does): such a URL's path, when plain, is judged as one from
 * the root, and the CDN base replaces its scheme and host, without the URL parser.
 */
export function pageOriginEnd(scope: UrlScope, b: Uint8Array, from: number, to: number): number {
  const host = scope.pageHostBytes;
  if (host === undefined || to - from < host.length + 8) return -1;
  if (b[from] !== Ch.LowerH || b[from + 1] !== Ch.LowerT || b[from + 2] !== Ch.LowerT || b[from + 3] !== Ch.LowerP) return -1;
  let i = from + 4;
  if (b[i] === Ch.LowerS) i++;
  if (b[i] !== Ch.Colon || b[i + 1] !== Ch.Slash || b[i + 2] !== Ch.Slash) return -1;
  i += 3;
  const n = host.length;
  if (i + n >= to) return -1;
  for (let k = 0; k < n; k++) if (b[i + k] !== host[k]) return -1;
  return b[i + n] === Ch.Slash ? i + n : -1;
}

const hasHtmlSpecial = (s: string): boolean => s.includes('&') || s.includes("'");

// Characters a WHATWG URL keeps as they are in a path, less the two HTML escapes in attribute
// values (A-Z a-z 0-9 -_~!$()*+,;=@/.): a path made of these, without dot segments, resolves by
// plain concatenation, which costs far less than `new URL`, and its CDN URL goes into the page
// as it is. Read by char code: every URL of a page passes here. Told by arithmetic, not by a
// table: a table read is map-checked at every turn, and the table and its checks took registers
// the loop needs (it kept the hash on the stack). Chars 0x20-0x3f are bits of one number.
const enum PathPunct { Bits = 0x2bffff12 } // !$()*+,-./0-9;= (bit c - 0x20)

/**
 * What goes before the plain path `b[from, to)` (latin1 bytes: a page's, or a URL's) to make it
 * its CDN URL (the CDN base, and the base's directory for a relative path) when it is one on the
 * base's host, null when such a path stays, or undefined when it is not a plain path. The path's
 * own bytes stay as they are: a rewrite is an insertion, with no string built per URL. One pass
 * over the path checks it, finds its extension and hashes it for the shard; it reads bytes, as
 * a string's charCodeAt checks its representation at every read. The inserted text holds no '&'
 * or "'": it needs no escaping in HTML. With `withQuery`, the path may go on with a query or
 * fragment ('?' or '#'), which is left out.
 */
export function plainCdnUrl(scope: UrlScope, b: Uint8Array, from: number, to: number, withQuery = false): string | null | undefined {
  if (scope.baseDir === undefined || from >= to) return undefined;
  const absolute = b[from] === Ch.Slash;
  if (absolute && b[from + 1] === Ch.Slash && from + 1 < to) return undefined; // "//host/...": another authority
  if (b[from] === Ch.Dot) return undefined; // a dot segment (told here: the loop then does not read `from`)
  let hash = absolute ? Fnv.Offset : scope.baseDirHash;
  let dot = -1; // the last segment's last '.'
  let i = from;
  // `(i + 1) | 0`: an int32 add, with no overflow check (i < to, an int32), which also freed a
  // register the loop had kept on the stack: 26.68 M -> 26.46 M instructions a corpus pass.
  for (; i < to; i = (i + 1) | 0) {
    const c = b[i];
    if (((c | 0x20) - 0x61) >>> 0 >= 26) { // not a letter (most chars of a path are)
      if (c === Ch.Slash) dot = -1;
      else if (c === Ch.Dot) {
        if (b[i - 1] === Ch.Slash) return undefined; // a dot segment
        dot = i;
      } else if ((c - 0x20) >>> 0 < 32 ? ((PathPunct.Bits >>> c) & 1) === 0 : c !== Ch.At && c !== Ch.Underscore && c !== Ch.Tilde) {
        // Not kept in a plain path. Written out, not a helper: a helper is reached through the
        // module context, checked at every call, and takes registers the loop needs.
        if (withQuery === true && (c === Ch.Query || c === Ch.Fragment)) break; // (=== true: one compare, not a ToBoolean)
        return undefined;
      }
    }
    hash = Math.imul(hash ^ c, Fnv.Prime);
  }
  if (i === from) return undefined; // a query or fragment alone
  const rules = absolute ? scope.rootPaths : scope.dirPaths;
  // `=== true`: one compare. pathGoes ends in a call TurboFan leaves out of line, whose result
  // it cannot type: testing that for truth is a generic ToBoolean (about ten instructions).
  const goes = pathGoes(scope.policy, scope.baseHost, rules, b, from, i, dot < 0 ? i : dot) === true;
  return goes ? rules.bases[shardOf(hash, rules.bases.length)] : null;
}

/**
 * Does the URL `b[at, end)` (latin1 bytes) start with a scheme other than http(s)? Such a URL
 * stays. A scheme written at the very start (no whitespace, tab or newline in it, which the URL
 * parser would strip) is read exactly as the URL parser reads it (a letter, then letters, digits,
 * '+', '-' or '.', then ':'), so a non-http one ("data:", "mailto:", "javascript:") is known to
 * stay without building a URL. Character references and non-ASCII bytes cannot be part of a
 * scheme, so this holds for raw text as for decoded text. Read from the bytes in place: the two
 * sticky regexes it replaces cost about 800 instructions more a call (callgrind: 0.37 M a corpus
 * pass, 468 calls).
 */
export function hasOtherSchemeAt(b: Uint8Array, at: number, end: number): boolean {
  if (at >= end || ((b[at] | 0x20) - 0x61) >>> 0 >= 26) return false;
  let i = at + 1;
  while (i < end) {
    const c = b[i];
    if (((c | 0x20) - 0x61) >>> 0 >= 26 && (c - 0x30) >>> 0 >= 10 && c !== Ch.Plus && c !== Ch.Minus && c !== Ch.Dot) break;
    i++;
  }
  if (i >= end || b[i] !== Ch.Colon) return false;
  const n = i - at;
  if (n !== 4 && n !== 5) return true;
  return (b[at] | 0x20) !== Ch.LowerH || (b[at + 1] | 0x20) !== Ch.LowerT || (b[at + 2] | 0x20) !== Ch.LowerT || (b[at + 3] | 0x20) !== Ch.LowerP
    || (n === 5 && (b[at + 4] | 0x20) !== Ch.LowerS);
}

/** Resolves `raw` (already entity-decoded) in `scope` with the URL parser; undefined when it is no URL. */
function resolveUrl(raw: string, scope: UrlScope): URL | undefined {
  const s = raw.trim();
  if (s === '' || s.startsWith('#')) return undefined;
  try { return new URL(s, scope.base); } catch { return undefined; }
}

/**
 * The CDN replacement of the part of a URL before its query/fragment, or undefined when the URL
 * stays. The caller keeps the query and fragment bytes as they were.
 */
export function cdnUrlIn(scope: UrlScope, rawHead: string): string | undefined {
  const bytes = latin1Bytes(rawHead);
  const plain = plainCdnUrl(scope, bytes, 0, rawHead.length);
  if (plain !== undefined) return plain === null ? undefined : plain + rawHead;
  if (hasOtherSchemeAt(bytes, 0, rawHead.length)) return undefined;
  const url = resolveUrl(rawHead, scope);
  if (url === undefined || !shouldRewrite(scope.policy, url, scope.pageHost)) return undefined;
  return cdnPathUrl(scope.policy, url.pathname);
}

/** `cdnUrlIn` for one URL, base and page host. */
export function cdnUrlFor(policy: UrlPolicy, rawHead: string, base: URL, pageHost: string): string | undefined {
  return cdnUrlIn(urlScope(policy, base, pageHost), rawHead);
}
