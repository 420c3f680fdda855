// A service's header rules (services[].headers): fields set or removed on the requests it sends
// to back-ends and on the responses it forwards to clients (HAProxy's http-request/http-response
// set-header and del-header; nginx's proxy_set_header and add_header), e.g. HSTS on a TLS
// service. "Set" replaces every field of that name; "remove" drops them. Both work by marking
// the received fields as not forwarded (as hop-by-hop ones are) and appending the set lines, so
// a head still leaves as one string with no per-field copies.
import type { HeadFields } from './http/parser.js';

export interface HeaderRuleOptions {
  /** Field name → value: every received field of that name is replaced by this one. */
  set?: Readonly<Record<string, string>>;
  /** Field names dropped. */
  remove?: readonly string[];
}

export class HeaderRules {
  /** The set fields as field lines ("Name: value\r\n" each), appended to a head. */
  readonly lines: string;
  /** The set fields as [name, value] pairs (for requests sent with node's HTTP client). */
  readonly fields: ReadonlyArray<readonly [string, string]>;
  /** Lower-case names of the fields a head loses: the removed ones and the ones set anew. */
  private readonly dropped: ReadonlySet<string>;

  constructor(options: HeaderRuleOptions) {
    this.fields = Object.entries(options.set ?? {});
    this.lines = this.fields.map(([name, value]) => `${name}: ${value}\r\n`).join('');
    this.dropped = new Set([...this.fields.map(([name]) => name), ...(options.remove ?? [])].map((n) => n.toLowerCase()));
  }

  /** Does the head lose fields of this name (any case)? */
  drops(name: string): boolean {
    return this.dropped.has(name.toLowerCase());
  }

  /** Marks the fields of `h` these rules replace or remove as not forwarded. */
  apply(h: HeadFields): void {
    if (this.dropped.size === 0) return;
    const names = h.names;
    for (let i = 0; i < names.length; i++) if (this.drops(names[i]) && !h.hop.includes(i)) h.hop.push(i);
  }
}

/**
 * Rules from options, also removing the field `alsoRemove` when given (one the proxy sets per
 * request); undefined when there are none, so the heads of a service without rules are left alone.
 */
export function headerRules(options: HeaderRuleOptions | undefined, alsoRemove?: string): HeaderRules | undefined {
  const set = options?.set ?? {};
  const remove = [...(options?.remove ?? []), ...(alsoRemove === undefined ? [] : [alsoRemove])];
  if (Object.keys(set).length === 0 && remove.length === 0) return undefined;
  return new HeaderRules({ set, remove });
}
