// Which URLs of a page are served from the CDN, and from which shard. Pure functions: the
// rewriter asks `cdnUrlFor(policy, rawUrl, base)` for every URL-bearing attribute value.
import { LbError } from '../errors.js';

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
  extensions: ReadonlySet<string>;
  hosts: readonly string[];
}

export interface UrlPolicy {
  /** Shard bases without a trailing slash ("https://cdn1.example.net/site"). */
  bases: readonly string[];
  /** Hosts of the bases: URLs already on the CDN are left alone. */
  cdnHosts: ReadonlySet<string>;
  include: CompiledMatch;
  exclude: CompiledMatch;
  rewriteAnchors: boolean;
}

function compileMatch(m: UrlMatch | undefined): CompiledMatch {
  return {
    prefixes: [...(m?.prefixes ?? [])],
    extensions: new Set((m?.extensions ?? []).map((e) => e.toLowerCase())),
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
  return { bases, cdnHosts, include: compileMatch(rules.include), exclude: compileMatch(rules.exclude), rewriteAnchors: rules.rewriteAnchors ?? false };
}

function hostMatches(hosts: readonly string[], host: string): boolean {
  for (const h of hosts) {
    if (h === host) return true;
    if (h.startsWith('*.') && host.endsWith(h.slice(1))) return true;
  }
  return false;
}

/** Lower-case extension of the last path segment, with the dot ("" when none). */
export function extensionOf(pathname: string): string {
  const dot = pathname.lastIndexOf('.');
  if (dot < 0 || pathname.indexOf('/', dot) >= 0) return '';
  const ext = pathname.slice(dot);
  return UPPER.test(ext) ? ext.toLowerCase() : ext;
}

const UPPER = /[A-Z]/;

function matches(m: CompiledMatch, url: ResolvedUrl, ext: string): boolean {
  if (m.hosts.length > 0 && hostMatches(m.hosts, url.hostname)) return true;
  if (m.extensions.size > 0 && m.extensions.has(ext)) return true;
  for (const p of m.prefixes) if (url.pathname.startsWith(p)) return true;
  return false;
}

/** The parts of a resolved URL the policy reads (a WHATWG URL has them all). */
export interface ResolvedUrl { protocol: string; host: string; hostname: string; pathname: string }

/** Is this absolute URL, found on a page of `pageHost`, served from the CDN? */
export function shouldRewrite(policy: UrlPolicy, url: ResolvedUrl, pageHost: string): boolean {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  if (policy.cdnHosts.has(url.host)) return false;
  const onPageHost = url.host === pageHost;
  const listedHost = hostMatches(policy.include.hosts, url.hostname);
  if (!onPageHost && !listedHost) return false;
  const ext = extensionOf(url.pathname);
  if (matches(policy.exclude, url, ext)) return false;
  return listedHost || matches(policy.include, url, ext);
}

/** FNV-1a over the path: the same path always goes to the same shard, in every process. */
export function shardIndex(pathname: string, shards: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < pathname.length; i++) {
    h ^= pathname.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % shards;
}

/** The CDN URL (base + path) of an absolute URL, without its query and fragment. */
export function cdnPathUrl(policy: UrlPolicy, url: ResolvedUrl): string {
  return policy.bases[shardIndex(url.pathname, policy.bases.length)] + url.pathname;
}

// Characters a WHATWG URL keeps as they are in a path: a path made of these (without dot
// segments) resolves by plain concatenation, which costs far less than `new URL`.
const PLAIN_PATH = /^[A-Za-z0-9\-_~!$&'()*+,;=@/.]+$/;

function resolvePlainPath(s: string, base: URL): ResolvedUrl | undefined {
  if (!PLAIN_PATH.test(s) || s.startsWith('.') || s.includes('/.') || s.startsWith('//')) return undefined;
  if (base.protocol !== 'http:' && base.protocol !== 'https:') return undefined;
  const pathname = s.charCodeAt(0) === 0x2f ? s : base.pathname.slice(0, base.pathname.lastIndexOf('/') + 1) + s;
  return { protocol: base.protocol, host: base.host, hostname: base.hostname, pathname };
}

/** Resolves `raw` (already entity-decoded) against `base`; undefined when it is no URL. */
export function resolveUrl(raw: string, base: URL): ResolvedUrl | undefined {
  const plain = resolvePlainPath(raw, base);
  if (plain !== undefined) return plain;
  const s = raw.trim();
  if (s === '' || s.startsWith('#')) return undefined;
  try { return new URL(s, base); } catch { return undefined; }
}

/**
 * The CDN replacement of the part of a URL before its query/fragment, or undefined when the URL
 * stays. The caller keeps the query and fragment bytes as they were.
 */
export function cdnUrlFor(policy: UrlPolicy, rawHead: string, base: URL, pageHost: string): string | undefined {
  const url = resolveUrl(rawHead, base);
  if (url === undefined || !shouldRewrite(policy, url, pageHost)) return undefined;
  return cdnPathUrl(policy, url);
}
