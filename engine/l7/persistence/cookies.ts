// Finding one cookie's value in a Cookie header without parsing the rest.
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  let from = 0;
  for (;;) {
    const at = header.indexOf(name, from);
    if (at < 0) return undefined;
    const before = at === 0 ? 59 : header.charCodeAt(at - 1);
    const eq = at + name.length;
    if ((before === 59 || before === 32) && header.charCodeAt(eq) === 61) {
      const end = header.indexOf(';', eq);
      return header.slice(eq + 1, end < 0 ? header.length : end).trim();
    }
    from = at + 1;
  }
}

/** The name=value at the start of a Set-Cookie header. */
export function setCookiePair(value: string): [string, string] | undefined {
  const eq = value.indexOf('=');
  if (eq <= 0) return undefined;
  const semi = value.indexOf(';', eq);
  return [value.slice(0, eq).trim(), value.slice(eq + 1, semi < 0 ? value.length : semi).trim()];
}
