#!/usr/bin/env node
// The lbarray command: the compiled CLI (dist/, made by `npm run build:ts`), or the TypeScript
// source through tsx in a checkout that has not been compiled.
import fs from 'node:fs';

const compiled = new URL('../dist/engine/cli/main.js', import.meta.url);
let cli;
if (fs.existsSync(compiled)) {
  cli = await import(compiled.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  cli = await import(new URL('../engine/cli/main.ts', import.meta.url).href);
}
process.exit(await cli.runCli(process.argv.slice(2)));
