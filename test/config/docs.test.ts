// docs/config.md is generated from the schema; this fails when someone changes the schema and
// forgets to regenerate it (node --import tsx engine/config/docs.ts), so the reference cannot drift.
import fs from 'node:fs';
import t from 'tap';
import { configJsonSchema, docsPath, renderConfigDocs } from '../../engine/config/docs.js';

t.test('docs/config.md is up to date with the schema', async (t) => {
  t.equal(fs.readFileSync(docsPath, 'utf8'), renderConfigDocs(), 'regenerate with: node --import tsx engine/config/docs.ts');
});

t.test('every field of the schema is documented with a description', async (t) => {
  const docs = renderConfigDocs();
  type Node = { properties?: Record<string, Node>; items?: Node; additionalProperties?: Node | boolean; description?: string };
  const walk = (n: Node, where: string) => {
    for (const [k, v] of Object.entries(n.properties ?? {})) {
      t.ok(docs.includes(`| \`${k}\` |`), `${where}.${k} has a row`);
      walk(v, `${where}.${k}`);
    }
    if (n.items) walk(n.items, `${where}[]`);
    if (typeof n.additionalProperties === 'object') walk(n.additionalProperties, `${where}.<name>`);
  };
  walk(configJsonSchema() as Node, '');
  const sections = ['vip', 'services[]', 'nodes[]', 'scheduler', 'proxy', 'pools.<name>', 'routes[]', 'routes[].cdn', 'persistence', 'healthChecks', 'election', 'admin', 'logging'];
  for (const s of sections) t.ok(docs.includes(`## \`${s}\``), `section ${s}`);
  t.notMatch(docs, /\|  \|\n/, 'no row without a description');
});
