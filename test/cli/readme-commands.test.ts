// Every `lbarray …` command line the README shows names a command the CLI has, with options the
// command takes: the README's command table cannot drift from the program.
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { bufferIo } from '../../engine/cli/io.js';
import { buildProgram } from '../../engine/cli/main.js';
import { root } from './fixtures/run-cli.js';

const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
const shown = [...new Set([...readme.matchAll(/`lbarray ([a-z]+)(?: ([a-z]+))?([^`]*)`/g)].map((m) => m[0]))];

t.test('the README\'s lbarray commands and options exist', async (t) => {
  t.ok(shown.length >= 10, `the README shows lbarray commands (${shown.length})`);
  const program = buildProgram(bufferIo(), () => {});
  for (const line of shown) {
    const [, name, , rest] = /`lbarray ([a-z]+)(?: ([a-z]+))?([^`]*)`/.exec(line)!;
    const command = program.commands.find((c) => c.name() === name);
    t.ok(command, `${line}: the command ${name} exists`);
    const flags = (rest!.match(/--[a-z-]+/g) ?? []);
    for (const f of flags) t.ok(command?.options.some((o) => o.long === f), `${line}: ${name} takes ${f}`);
  }
});
