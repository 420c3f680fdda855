// The benchmarks' plot module and figures, without running a benchmark: the summary, the axis,
// label escaping, and the figure each results file makes (bench plot redraws committed results).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { barChart, escapeXml, fitLabel, linearScale, niceCeiling, summarize } from '../../perf/plot.js';
import { figures, l7Rows, plotResults } from '../../perf/plots.js';

t.test('summarize: min, median (mean of the middle two when even), max; non-finite values ignored', async (t) => {
  const cases = [
    { name: 'odd count, unsorted', values: [5, 1, 3], want: { min: 1, median: 3, max: 5 } },
    { name: 'even count', values: [4, 1, 3, 2], want: { min: 1, median: 2.5, max: 4 } },
    { name: 'one value', values: [7], want: { min: 7, median: 7, max: 7 } },
    { name: 'NaN and Infinity left out', values: [NaN, 2, Infinity, 4], want: { min: 2, median: 3, max: 4 } },
  ];
  for (const c of cases) t.same(summarize(c.values), c.want, c.name);
  t.ok(Object.values(summarize([])).every(Number.isNaN), 'nothing measured: NaN, never 0');
});

t.test('axis: the end is the next 1, 2 or 5 × 10^k; the scale maps and clamps', async (t) => {
  const cases: Array<[number, number]> = [[0.3, 0.5], [1, 1], [1.01, 2], [3, 5], [7, 10], [350, 500], [501, 1000], [0, 1], [-4, 1], [NaN, 1]];
  for (const [v, want] of cases) t.equal(niceCeiling(v), want, `niceCeiling(${v})`);
  const x = linearScale(500, 100, 400);
  t.same([x(0), x(250), x(500), x(-10), x(900)], [100, 300, 500, 100, 500]);
});

t.test('labels are escaped: markup in a label stays text', async (t) => {
  t.equal(escapeXml(`a<b & "c" 'd'>`), 'a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;');
  const svg = barChart('x < y & z', [{ title: '<script>', bars: [{ label: 'C & C++ <fast>', value: { min: 1, median: 2, max: 3 } }] }]);
  t.notMatch(svg, /<script>|<fast>/);
  t.match(svg, /C &amp; C\+\+ &lt;fast&gt;/);
});

t.test('long labels are cut to the label column, the whole label kept in a title', async (t) => {
  t.equal(fitLabel('short'), 'short');
  t.equal(fitLabel('abcdefghij', 6), 'abcde…');
  t.equal(fitLabel('abcd efghij', 6), 'abcd…', 'no space before the ellipsis');
  const long = 'uncached (no-store: fetch + rewrite + gzip every time) & more';
  const svg = barChart('t', [{ title: 'p', bars: [{ label: long, value: { min: 1, median: 1, max: 1 } }] }]);
  t.match(svg, `<title>${escapeXml(long)}</title>`);
  t.ok(svg.includes(`${escapeXml(fitLabel(long))}</text>`));
});

t.test('a bar: median width, min–max whisker, a dot per sample, the target line', async (t) => {
  const svg = barChart('t', [{ title: 'ms', marker: { value: 350, label: 'target' }, bars: [{ label: 'a', value: { min: 100, median: 250, max: 400 }, samples: [100, 250, 400] }] }]);
  // Axis end 500 over 380 px from x=330: median 250 → 190 px wide; whisker 406..634; target at 596.
  t.match(svg, /<rect x="330" y="\d+" width="190.0"/);
  t.match(svg, /<line x1="406.0" x2="634.0"/);
  t.equal(svg.match(/<circle /g)?.length, 3);
  t.match(svg, /<line x1="596.0" x2="596.0"[^>]*stroke="#c00"/);
  t.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="\d+" height="\d+"/);
  const empty = barChart('t', [{ title: 'p', bars: [{ label: 'nothing measured', value: summarize([]) }] }]);
  t.notMatch(empty, /NaN/, 'a bar with no value is left empty, never drawn at NaN');
});

t.test('l7Rows reads the printed table of results that kept only the output', async (t) => {
  t.same(l7Rows(['proxy            req/s      p99 ms   TLS handshakes/s', 'lbarray            15915      10.49          658', 'ratios (lbarray / baseline): {}']),
    [{ name: 'lbarray', keepAliveRps: 15915, p99Ms: 10.49, tlsHandshakesPerSec: 658 }]);
});

t.test('bench plot redraws every committed results file that has a figure', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lbarray-plot-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const committed = path.join(import.meta.dirname, '../../perf/results');
  const names = Object.keys(figures).filter((n) => fs.existsSync(path.join(committed, `${n}.json`)));
  for (const n of names) fs.copyFileSync(path.join(committed, `${n}.json`), path.join(dir, `${n}.json`));
  const files = plotResults(dir);
  t.same(files.map((f) => path.basename(f)).sort(), names.map((n) => `${n}.svg`).sort());
  for (const f of files) {
    const svg = fs.readFileSync(f, 'utf8');
    t.match(svg, /<rect x="330"/, `${path.basename(f)} has bars`);
    t.notMatch(svg, /NaN|undefined/, `${path.basename(f)} has no NaN or undefined`);
  }
});
