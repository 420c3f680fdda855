// Generates docs/config.md from the schema (z.toJSONSchema), so the reference cannot drift from
// the code: test/config/docs.test.ts fails when the committed file differs from this output.
//   node --import tsx engine/config/docs.ts          rewrites docs/config.md
//   node --import tsx engine/config/docs.ts --check  exit 1 when docs/config.md is stale
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { configSchema } from './schema.js';

type Json = {
  type?: string; description?: string; default?: unknown; enum?: unknown[]; const?: unknown; format?: string;
  minimum?: number; maximum?: number; minItems?: number; properties?: Record<string, Json>; required?: string[];
  items?: Json; additionalProperties?: Json | boolean; anyOf?: Json[]; oneOf?: Json[]; pattern?: string;
  'x-unit'?: string;
};

/** The config file's JSON Schema (draft 2020-12), as the file is written (units as strings). */
export function configJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(configSchema, { io: 'input' }) as Record<string, unknown>;
}

const FORMAT: Record<string, string> = { ipv4: 'IPv4 address', ipv6: 'IPv6 address', uri: 'URL' };

function typeOf(s: Json): string {
  if (s['x-unit']) return s['x-unit'];
  const alts = s.anyOf ?? s.oneOf;
  if (alts) return [...new Set(alts.map(typeOf))].join(' or ');
  if (s.const !== undefined) return `\`${JSON.stringify(s.const)}\``;
  if (s.enum) return s.enum.map((v) => `\`${JSON.stringify(v)}\``).join(', ');
  if (s.format && FORMAT[s.format]) return FORMAT[s.format];
  switch (s.type) {
    case 'integer':
    case 'number': {
      const big = (n: number) => Math.abs(n) >= 2 ** 53 - 1;
      const lo = s.minimum !== undefined && !big(s.minimum) ? s.minimum : undefined;
      const hi = s.maximum !== undefined && !big(s.maximum) ? s.maximum : undefined;
      const range = lo !== undefined && hi !== undefined ? ` ${lo}–${hi}` : lo !== undefined ? ` ≥ ${lo}` : '';
      return `${s.type}${range}`;
    }
    case 'array': return `list of ${s.items ? typeOf(s.items) : 'values'}`;
    case 'object': return 'map';
    default: return typeof s.type === 'string' ? s.type : 'value';
  }
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function defaultOf(s: Json): string {
  if (s.default === undefined) return '';
  if (typeof s.default === 'object' && s.default !== null && Object.keys(s.default).length === 0) return '';
  return `\`${JSON.stringify(s.default)}\``;
}

// The object a field opens a section for: a map, a list of maps, or a map of named maps.
function sectionOf(s: Json): { schema: Json; suffix: string } | undefined {
  if (s.properties) return { schema: s, suffix: '' };
  if (s.type === 'array' && s.items?.properties) return { schema: s.items, suffix: '[]' };
  if (typeof s.additionalProperties === 'object' && s.additionalProperties.properties) {
    return { schema: s.additionalProperties, suffix: '.<name>' };
  }
  return undefined;
}

function render(title: string, s: Json, out: string[]): void {
  const props = s.properties ?? {};
  const required = new Set(s.required ?? []);
  out.push(`## \`${title}\``, '');
  if (s.description) out.push(s.description, '');
  out.push('| field | type | required | default | description |', '| --- | --- | --- | --- | --- |');
  const nested: Array<[string, Json]> = [];
  for (const [key, field] of Object.entries(props)) {
    const sec = sectionOf(field);
    const fieldPath = title === '(top level)' ? key : `${title}.${key}`;
    const type = sec ? `${typeOf(field)} (see \`${fieldPath}${sec.suffix}\`)` : typeOf(field);
    out.push(`| \`${key}\` | ${cell(type)} | ${required.has(key) ? 'yes' : ''} | ${cell(defaultOf(field))} | ${cell(field.description ?? '')} |`);
    if (sec) nested.push([`${fieldPath}${sec.suffix}`, { ...sec.schema, description: field.description }]);
  }
  out.push('');
  for (const [p, sub] of nested) render(p, sub, out);
}

/** docs/config.md as generated from the schema. */
export function renderConfigDocs(): string {
  const out: string[] = [
    '# lbarray configuration reference',
    '',
    '<!-- Generated from engine/config/schema.ts by engine/config/docs.ts; do not edit by hand. -->',
    '',
    'One YAML file (JSON is accepted too) describes the whole array; every node reads the same file',
    'and `lbarray run --config FILE --node ID` picks its own entry. `lbarray check --config FILE`',
    'validates it and lists every problem with its path and line, e.g.',
    '`pools.app.servers[2].port (line 31): expected a number 1-65535`.',
    '',
    'Durations are written `"250ms"`, `"2s"`, `"5m"` (or a number of milliseconds); sizes `"64MiB"`,',
    '`"1GB"` (or a number of bytes). Relative file paths are relative to the config file.',
    'Examples: [`examples/lab.yaml`](../examples/lab.yaml), [`examples/minimal.yaml`](../examples/minimal.yaml).',
    '',
    'Checks beyond the types: node ids, node addresses, service names and ports are unique; every',
    'route names a defined pool, and a route without conditions is the last one; an `https` service',
    'has certificates, which are readable, parse, and match their keys (and a ticket key file of 48',
    'bytes when one is named); no node, admin listener or',
    'back-end uses a VIP address; the admin endpoint listens on one address; check timeouts do not',
    'exceed their intervals; at least one node and one server per pool have a weight above 0.',
    '',
  ];
  render('(top level)', configJsonSchema() as Json, out);
  return `${out.join('\n').trimEnd()}\n`;
}

export const docsPath = fileURLToPath(new URL('../../docs/config.md', import.meta.url));

function mainEntry(): void {
  const text = renderConfigDocs();
  if (process.argv.includes('--check')) {
    const current = fs.existsSync(docsPath) ? fs.readFileSync(docsPath, 'utf8') : '';
    if (current !== text) {
      console.error(`${path.relative(process.cwd(), docsPath)} is stale: run node --import tsx engine/config/docs.ts`);
      process.exit(1);
    }
    return;
  }
  fs.writeFileSync(docsPath, text);
  console.log(`wrote ${path.relative(process.cwd(), docsPath)}`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) mainEntry();
