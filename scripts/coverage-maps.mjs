// Makes tap's coverage records readable by its report: tsx writes a source map's
// `sourcesContent` only when NODE_V8_COVERAGE is set, and tap records coverage through the
// inspector instead, so each map of a tsx-loaded file says its source is [null]. The report then
// reads that as an empty source, one statement for the whole file. Dropping the empty
// `sourcesContent` makes it read the source from disk, where it is.
//   node scripts/coverage-maps.mjs [.tap/coverage]
import fs from 'node:fs';
import path from 'node:path';

const dir = process.argv[2] ?? '.tap/coverage';
let fixed = 0;
for (const name of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
  const file = path.join(dir, name);
  const record = JSON.parse(fs.readFileSync(file, 'utf8'));
  let changed = false;
  for (const entry of Object.values(record['source-map-cache'] ?? {})) {
    const content = entry?.data?.sourcesContent;
    if (Array.isArray(content) && content.every((s) => s == null)) {
      delete entry.data.sourcesContent;
      changed = true;
    }
  }
  if (changed) {
    fs.writeFileSync(file, JSON.stringify(record));
    fixed++;
  }
}
console.log(`coverage-maps: ${fixed} records read their sources from disk`);
