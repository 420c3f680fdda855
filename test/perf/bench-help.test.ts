// `npm run bench -- --help` lists what the README's Benchmarks table tells operators to run: every
// benchmark it names, with every option it gives (the help once left out l7's --before and
// failover's --preempt and --node-log).
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { help } from '../../perf/bench.js';

const readme = fs.readFileSync(path.resolve(import.meta.dirname, '../../README.md'), 'utf8');
const commands = [...readme.matchAll(/`npm run bench -- ([a-z]+)((?: [^`]*)?)`/g)].map((m) => ({ name: m[1]!, options: m[2]!.match(/--[a-z-]+/g) ?? [] }));

t.test('every benchmark and option the README names is in the help', async (t) => {
  t.ok(commands.length >= 8, `the README names benchmark commands (${commands.length})`);
  const text = help();
  for (const { name, options } of commands) {
    const usage = text.split('\n').find((l) => l.includes(`npm run bench -- ${name} `) || l.endsWith(`npm run bench -- ${name}`));
    t.ok(usage, `${name} is listed`);
    for (const o of options) t.match(usage ?? '', `${o}`, `${name} ${o} is in its usage line`);
  }
});
