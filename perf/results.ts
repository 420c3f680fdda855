// Where every benchmark's results land: perf/results/NAME.json and NAME.md, with the machine's
// description, and NAME.svg for the benchmarks with a figure (forward.ts writes its own files the
// same way).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { machine } from './forward-report.js';
import { plotResults } from './plots.js';

export const resultsDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results');

export function writeResults(name: string, json: Record<string, unknown>, md: string, dir = resultsDir): string[] {
  fs.mkdirSync(dir, { recursive: true });
  const files = [path.join(dir, `${name}.json`), path.join(dir, `${name}.md`)];
  fs.writeFileSync(files[0]!, JSON.stringify({ benchmark: name, date: new Date().toISOString(), machine: machine(), ...json }, null, 2) + '\n');
  fs.writeFileSync(files[1]!, md.endsWith('\n') ? md : md + '\n');
  return [...files, ...plotResults(dir, [name])];
}
