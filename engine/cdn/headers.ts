// Header maps as the CDN layer sees them: lower-case names, repeated fields as arrays (the shape
// of node's IncomingMessage.headers, and easy to build from the L7 parser's name/value lists).
export type HeaderMap = Record<string, string | string[] | undefined>;

/** One value of a header (repeated fields joined with ", " as HTTP allows for lists). */
export function headerValue(h: HeaderMap, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

/** Builds a map from parallel name/value lists (as the L7 head parser gives them). */
export function headerMapOf(names: readonly string[], values: readonly string[]): HeaderMap {
  const out: HeaderMap = {};
  for (let i = 0; i < names.length; i++) {
    const n = names[i].toLowerCase();
    const prev = out[n];
    if (prev === undefined) out[n] = values[i];
    else out[n] = Array.isArray(prev) ? [...prev, values[i]] : [prev, values[i]];
  }
  return out;
}

// A directive: anything up to a comma that is not inside a quoted string (no-cache="a, b").
const DIRECTIVE = /(?:[^,"]|"[^"]*"?)+/g;

/** Cache-Control directives, lower-case names; valueless directives map to "". */
export function cacheControl(value: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (value === undefined) return out;
  for (const part of value.match(DIRECTIVE) ?? []) {
    const eq = part.indexOf('=');
    const name = (eq < 0 ? part : part.slice(0, eq)).trim().toLowerCase();
    if (name === '') continue;
    out.set(name, eq < 0 ? '' : part.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1'));
  }
  return out;
}

/** A strong validator made weak: the bytes changed, the meaning did not (RFC 9110 §8.8.1). */
export function weakEtag(etag: string | undefined): string | undefined {
  if (etag === undefined) return undefined;
  const t = etag.trim();
  return t.startsWith('W/') ? t : `W/${t}`;
}

/** Adds a name to a Vary value unless present. */
export function addVary(vary: string | undefined, name: string): string {
  if (vary === undefined || vary.trim() === '') return name;
  const names = vary.split(',').map((s) => s.trim().toLowerCase());
  return names.includes(name.toLowerCase()) || names.includes('*') ? vary : `${vary}, ${name}`;
}
