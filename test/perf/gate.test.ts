// The CI regression gate refuses a real slowdown and lets the unmodified build through. The
// figures are measured, not made up: the C++ replay baseline under callgrind, as built, and built
// with LB_GATE_EXTRA_MIXES extra hash mixes per frame (work really done in the measured loop).
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { baselineOf, compare, verdict, type Figure } from '../../perf/gate/compare.js';
import { measureInstructions } from '../../perf/gate/measure.js';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const valgrind = spawnSync('valgrind', ['--version']).status === 0;
const SLOW = { defines: { LB_GATE_EXTRA_MIXES: 8 } };

t.test('callgrind figures: repeatable, unmodified passes, a slowdown beyond tolerance fails', { skip: !valgrind && 'valgrind is not installed' }, async (t) => {
  const first = await measureInstructions();
  const again = await measureInstructions();
  first.figures.forEach((f, i) => {
    t.ok(Math.abs(again.figures[i]!.value / f.value - 1) < 0.001, `${f.label}: ${f.value} then ${again.figures[i]!.value}, within 0.1 %`);
  });
  const baseline = baselineOf(first.figures);
  t.same(compare(baseline, again.figures).failures, [], 'the unmodified build passes');

  const slow = await measureInstructions(SLOW);
  const decisions = (r: typeof first.counts.synthetic.result) => [r.nodes, r.drops, r.consumed];
  t.same(decisions(slow.counts.synthetic.result), decisions(first.counts.synthetic.result), 'the slowed build makes the same decisions: only the work per frame grew');
  const { failures, verdicts } = compare(baseline, slow.figures);
  t.equal(failures.length, 2, 'decide + rewrite regressed over both frame sets; the rewrite itself is untouched');
  t.match(failures[0], /^gate: "C\+\+ decide \+ rewrite, synthetic frames" regressed: baseline [\d.]+ instructions\/frame, measured [\d.]+ instructions\/frame \(\+[\d.]+ %; lower is better\), tolerance 10\.0 %$/);
  t.match(failures[1], /^gate: "C\+\+ decide \+ rewrite, captures\/web-flows\.pcap" regressed: baseline/);
  t.ok(verdicts[0]!.change > 0.1, `slowed by ${(verdicts[0]!.change * 100).toFixed(1)} %`);
  t.ok(verdicts[2]!.ok, 'lb::rewrite_buffer within tolerance');

  const mild = await measureInstructions({ defines: { LB_GATE_EXTRA_MIXES: 1 } });
  const small = compare(baseline, mild.figures);
  t.ok(small.verdicts[0]!.change > 0, `one extra mix per frame costs ${(small.verdicts[0]!.change * 100).toFixed(1)} %`);
  t.same(small.failures, [], 'a slowdown within the 10 % tolerance passes');
});

t.test('npm run bench -- gate exits non-zero on the slowed build, printing the table and the figure', { skip: !valgrind && 'valgrind is not installed' }, async (t) => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'lbarray-gate-test-'));
  t.teardown(() => fs.rmSync(out, { recursive: true, force: true }));
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'perf', 'bench.ts'), 'gate', '--slowdown', String(SLOW.defines.LB_GATE_EXTRA_MIXES),
    '--rounds', '1', '--seconds', '0.05', '--out', out], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => { stdout += d; });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  t.equal(code, 1, 'exit status 1');
  t.match(stdout, /\| C\+\+ decide \+ rewrite, synthetic frames \(instructions\/frame\) \| [\d.]+ \| [\d.]+ \| \+[\d.]+ % \| \+10\.0 % \| \*\*REGRESSED\*\* \|/, 'the table');
  t.match(stdout, /gate: "C\+\+ decide \+ rewrite, synthetic frames" regressed: baseline/, 'the message');
  t.match(stdout, /npm run bench -- gate --update/, 'how to accept an intended change');
  const written = JSON.parse(fs.readFileSync(path.join(out, 'gate.json'), 'utf8')) as { failures: string[] };
  t.ok(written.failures.length >= 1, 'results written where asked');
});

// The comparison's edges, as data: direction, tolerance boundary, missing baseline.
const fig = (better: Figure['better'], value: number, tolerance = 0.25): Figure => ({ id: 'x', label: 'x', value, unit: 'ratio', better, tolerance });
const cases: Array<{ proves: string; figure: Figure; baseline: number | undefined; ok: boolean; message?: RegExp }> = [
  { proves: 'a ratio that drops by less than its tolerance passes', figure: fig('higher', 0.8), baseline: 1, ok: true },
  { proves: 'a ratio at exactly its tolerance passes', figure: fig('higher', 0.75), baseline: 1, ok: true },
  { proves: 'a ratio that drops beyond its tolerance fails', figure: fig('higher', 0.7), baseline: 1, ok: false, message: /baseline 1\.000 ratio, measured 0\.700 ratio \(-30\.0 %; higher is better\), tolerance 25\.0 %/ },
  { proves: 'a ratio that improves a lot passes', figure: fig('higher', 3), baseline: 1, ok: true },
  { proves: 'an instruction count that falls a lot passes', figure: fig('lower', 100, 0.1), baseline: 300, ok: true },
  { proves: 'a missing baseline fails and says how to record one', figure: fig('lower', 100, 0.1), baseline: undefined, ok: false, message: /no baseline for "x".*npm run bench -- gate --update/ },
  { proves: 'a measurement that is not a number fails', figure: fig('higher', NaN), baseline: 1, ok: false, message: /regressed/ },
];
for (const c of cases) {
  t.test(c.proves, async (t) => {
    const v = verdict(c.figure, c.baseline);
    t.equal(v.ok, c.ok);
    if (c.message) t.match(v.message, c.message);
  });
}
