#!/usr/bin/env node
// The test command: the C++ core's own tests, every tap test under test/, then the performance
// regression gate (perf/gate: instruction counts and a same-run ratio against a committed baseline).
// Prints one closing line, "N passed, N failed", and exits non-zero on any failure.
import { spawn } from 'node:child_process';
import fs from 'node:fs';

function run(cmd, args) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; process.stdout.write(d); });
    child.on('close', (code) => resolve({ code: code ?? 1, out }));
  });
}

let passed = 0;
let failed = 0;

const cppTests = 'build/Release/lbcore_test';
if (fs.existsSync(cppTests)) {
  const { code, out } = await run(cppTests, []);
  const m = /^cpp: (\d+) passed, (\d+) failed$/m.exec(out);
  if (m) { passed += Number(m[1]); failed += Number(m[2]); }
  if (code !== 0 && (!m || Number(m[2]) === 0)) failed += 1;
} else {
  console.log(`${cppTests} is missing: build the addon first (npm run build:addon).`);
  failed += 1;
}

// The suite first, its coverage report after (scripts/coverage-maps.mjs says why); the report
// fails the run when coverage is below a .taprc floor.
const { code, out } = await run('npx', ['tap', '--coverage-report=none', '--allow-incomplete-coverage', ...process.argv.slice(2)]);
const summary = /^# \{ total: (\d+)(?:, pass: (\d+))?(?:, fail: (\d+))?/m.exec(out);
if (summary) {
  passed += Number(summary[2] ?? 0);
  failed += Number(summary[3] ?? 0);
}
// A non-zero exit with no failed assertion (a crashed file) still fails.
if (code !== 0 && (!summary || Number(summary[3] ?? 0) === 0)) failed += 1;
// Like the gate below, the floors hold for the whole suite, not when tap is given files.
const wholeSuite = process.argv.length <= 2;
await run('node', ['scripts/coverage-maps.mjs']);
const report = await run('npx', ['tap', 'report', 'text', ...(wholeSuite ? [] : ['--allow-incomplete-coverage'])]);
const coverageLow = report.code !== 0;
if (coverageLow) failed += 1;

// The gate counts as one test: it passes when no figure regressed beyond its tolerance.
if (wholeSuite) {
  const gate = await run('node', ['--import', 'tsx', 'perf/bench.ts', 'gate']);
  if (gate.code === 0) passed += 1;
  else failed += 1;
}

// CI shows only the end of the output: name what failed there, each failed assertion with its file.
const failures = [];
for (const line of out.split('\n')) {
  const m = /^(\s*)not ok \d+ - (.*)$/.exec(line);
  if (m) failures.push(`${m[1]}${m[2]}`);
}
if (failures.length > 0) console.log(`failed:\n${failures.slice(0, 40).join('\n')}`);
else if (code !== 0) console.log(`failed: tap exited ${code} with every assertion passing (a test file that crashed)`);
if (coverageLow) console.log('failed: coverage below a .taprc floor (the report above)');
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
