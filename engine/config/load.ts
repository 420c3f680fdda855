// Reads the config file (YAML, or JSON, which is YAML too), validates it against the schema and
// the cross-field rules, and returns a frozen Config or every problem with its path and line.
import fs from 'node:fs';
import path from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { LbError } from '../errors.js';
import { crossCheck, type RawIssue } from './checks.js';
import { ConfigError, formatPath, type ConfigIssue } from './errors.js';
import { configSchema, configShape, type Config } from './schema.js';
import { lineOf } from './source-map.js';

export interface ParseOptions {
  /** Name shown in errors (the file path). */
  file?: string;
  /** Relative certificate, key, CA and token paths are resolved against this directory. */
  baseDir?: string;
  /** Read and check certificate, key, CA and token files (default true). */
  checkFiles?: boolean;
}

export type ValidateResult = { ok: true; config: Config } | { ok: false; issues: ConfigIssue[] };

function describeInput(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a map';
  if (typeof v === 'string') return `"${v.length > 40 ? `${v.slice(0, 40)}…` : v}"`;
  return String(v);
}

const ARTICLE: Record<string, string> = {
  number: 'a number', int: 'an integer', string: 'a string', boolean: 'true or false', object: 'a map', array: 'a list',
};

// Wording for the issues whose schema gave no message of its own.
function humanize(iss: z.core.$ZodRawIssue): string | undefined {
  switch (iss.code) {
    case 'invalid_type':
      return iss.input === undefined ? 'required' : `expected ${ARTICLE[iss.expected] ?? iss.expected}, got ${describeInput(iss.input)}`;
    case 'too_small':
      return iss.origin === 'array' ? `expected at least ${iss.minimum} item${Number(iss.minimum) === 1 ? '' : 's'}`
        : iss.origin === 'string' ? `expected at least ${iss.minimum} characters` : `expected a number ≥ ${iss.minimum}`;
    case 'too_big':
      return iss.origin === 'array' ? `expected at most ${iss.maximum} items`
        : iss.origin === 'string' ? `expected at most ${iss.maximum} characters` : `expected a number ≤ ${iss.maximum}`;
    case 'invalid_value':
      return `expected ${iss.values.map((v) => JSON.stringify(v)).join(' or ')}, got ${describeInput(iss.input)}`;
    case 'invalid_format':
      return iss.format === 'starts_with' ? `expected text starting with "${(iss as { prefix?: string }).prefix}"` : `expected ${iss.format}`;
    default:
      return undefined;
  }
}

type ZIssue = z.core.$ZodIssue;

// Turns zod issues into path+message pairs: one issue per unknown key, and for a union the
// issues of the branch whose shape the input took (a wrong field inside `{ hash: ... }` is
// reported at that field, not as "matches no form").
function flatten(issues: readonly ZIssue[], prefix: PropertyKey[] = []): RawIssue[] {
  return issues.flatMap((iss): RawIssue[] => {
    const at = [...prefix, ...iss.path];
    if (iss.code === 'unrecognized_keys') {
      return iss.keys.map((k) => ({ path: [...at, k], message: `unknown field "${k}"` }));
    }
    if (iss.code === 'invalid_union' && iss.errors.length > 0) {
      const shaped = iss.errors.filter((branch) => branch.length > 0
        && !branch.some((b) => b.path.length === 0 && (b.code === 'invalid_type' || b.code === 'invalid_value')));
      if (shaped.length === 1) return flatten(shaped[0], at);
    }
    if (iss.code === 'invalid_key') {
      return [{ path: at, message: `invalid name: ${iss.issues[0]?.message ?? iss.message}` }];
    }
    return [{ path: at, message: iss.message }];
  });
}

// Certificate, key, ticket key, CA, token and access log paths are relative to the config file's directory.
function resolvePaths<C extends Partial<Config>>(c: C, baseDir: string): C {
  const abs = (p: string) => path.resolve(baseDir, p);
  const out: Partial<Config> = { ...c };
  if (c.services) {
    out.services = c.services.map((s) => (s.tls ? {
      ...s, tls: { ...s.tls, certificates: s.tls.certificates.map((k) => ({ ...k, cert: abs(k.cert), key: abs(k.key) })),
        ...(s.tls.ticketKeyFile !== undefined ? { ticketKeyFile: abs(s.tls.ticketKeyFile) } : {}) },
    } : s));
  }
  if (c.pools) {
    out.pools = Object.fromEntries(Object.entries(c.pools).map(([n, p]) => [n,
      p.tls && p.tls.ca ? { ...p, tls: { ...p.tls, ca: abs(p.tls.ca) } } : p]));
  }
  if (c.admin?.tokenFile) out.admin = { ...c.admin, tokenFile: abs(c.admin.tokenFile) };
  if (c.logging?.accessLog !== undefined && c.logging.accessLog !== '-') out.logging = { ...c.logging, accessLog: abs(c.logging.accessLog) };
  return out as C;
}

// The top-level sections that are valid on their own (for the cross-field rules over them).
function validSections(data: unknown): Partial<Config> {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return {};
  const out: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(configShape.shape)) {
    const r = (schema as z.ZodType).safeParse((data as Record<string, unknown>)[key]);
    if (r.success) out[key] = r.data;
  }
  return out as Partial<Config>;
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

/** Validates config text; never throws for a bad config, returns every issue instead. */
export function validateConfig(text: string, opts: ParseOptions = {}): ValidateResult {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, merge: true, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    // One mistake often makes several parse errors on its line: the first says most.
    const firstPerLine = doc.errors.filter((e, i) => doc.errors.findIndex((o) => o.linePos?.[0].line === e.linePos?.[0].line) === i);
    return {
      ok: false,
      issues: firstPerLine.map((e) => ({
        path: '', line: e.linePos?.[0].line, message: e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, ''),
      })),
    };
  }
  const located = (raw: RawIssue[]): ConfigIssue[] => raw
    .map((r) => ({ path: formatPath(r.path), line: lineOf(doc, lc, r.path), message: r.message }))
    .sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 1000 });
  } catch (e) {
    return { ok: false, issues: [{ path: '', message: (e as Error).message }] };
  }
  const baseDir = opts.baseDir ?? process.cwd();
  const files = opts.checkFiles !== false;
  const parsed = configSchema.safeParse(data, { error: humanize });
  if (!parsed.success) {
    const partial = crossCheck(resolvePaths(validSections(data), baseDir), { files });
    return { ok: false, issues: located([...flatten(parsed.error.issues), ...partial]) };
  }
  const config = resolvePaths(parsed.data, baseDir);
  const cross = crossCheck(config, { files });
  if (cross.length > 0) return { ok: false, issues: located(cross) };
  if (config.admin.tokenFile) {
    config.admin = { ...config.admin, token: fs.readFileSync(config.admin.tokenFile, 'utf8').trim() };
  }
  return { ok: true, config: deepFreeze(config) };
}

/** Parses config text; throws ConfigError (code ERR_CONFIG) listing every problem. */
export function parseConfig(text: string, opts: ParseOptions = {}): Config {
  const r = validateConfig(text, opts);
  if (!r.ok) throw new ConfigError(opts.file ?? 'text', r.issues);
  return r.config;
}

/** Reads, validates and freezes the config file at `file`. Throws LbError ERR_CONFIG_READ when the
 *  file cannot be read, ConfigError (ERR_CONFIG, with `.issues`) when it is invalid. */
export function loadConfig(file: string, opts: Omit<ParseOptions, 'file' | 'baseDir'> = {}): Config {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new LbError('ERR_CONFIG_READ', `cannot read config file ${file}${code ? ` (${code})` : ''}.`, { cause: e });
  }
  return parseConfig(text, { ...opts, file, baseDir: path.dirname(path.resolve(file)) });
}
