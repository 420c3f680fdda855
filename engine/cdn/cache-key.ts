// Keys of the page cache: host (lower case, with port), path and query. The scheme is not part
// of it: the rewritten page depends on host and path only.

export function cacheKey(url: URL): string {
  return url.host.toLowerCase() + url.pathname + url.search;
}

/** The request header names of a Vary value, lower case; Accept-Encoding is the cache's own business. */
export function varyNames(vary: string | undefined): string[] {
  if (vary === undefined) return [];
  return vary.split(',').map((s) => s.trim().toLowerCase()).filter((s) => s !== '' && s !== 'accept-encoding').sort();
}

/** A request header value as Vary compares it (whitespace runs collapsed). */
export function varyValue(v: string | string[] | undefined): string {
  if (v === undefined) return '';
  return (Array.isArray(v) ? v.join(',') : v).trim().replace(/\s+/g, ' ');
}

/**
 * Does a purge target match a key? A URL ("https://host/path") or a host-less path ("/path")
 * matches that page; with `prefix`, every page under it.
 */
export function purgeMatcher(target: string, prefix: boolean): (key: string) => boolean {
  let want: string;
  let anyHost = false;
  if (target.startsWith('/')) {
    want = target;
    anyHost = true;
  } else {
    const u = new URL(target.includes('://') ? target : `http://${target}`);
    want = cacheKey(u);
    // "https://host" names the site root as a prefix, but as a URL it is the page "/".
    if (prefix && u.pathname === '/' && u.search === '' && !target.replace(/^[a-z]+:\/\//i, '').includes('/')) want = u.host.toLowerCase();
  }
  return (key) => {
    const k = anyHost ? key.slice(Math.max(0, key.indexOf('/'))) : key;
    return prefix ? k.startsWith(want) : k === want;
  };
}
