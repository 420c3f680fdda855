// Rewrites the benchmark corpus (16 KiB chunks, as perf/cdn.ts) `passes` times in this thread,
// for profilers: `rewrite` runs the rewriter, `tokenize` the tokenizer alone with no-op callbacks.
//   node --cpu-prof --import tsx perf/cdn-profile.ts rewrite 200
// Instructions per corpus pass, stable under load: run it under callgrind (node --predictable)
// with two pass counts; the difference over the passes between them leaves start-up out. Warm
// tsx's transpile cache first (one plain run) and keep the counts far apart (5 and 65): the
// optimizing compiler's work falls between them, ~2.5 M instructions a pass over 20 passes.
//   valgrind --tool=callgrind --callgrind-out-file=/dev/null node --predictable --import tsx perf/cdn-profile.ts rewrite 5   (then 65)
// Steadier, and with the JavaScript functions named: bundle it with esbuild (--bundle --platform=node
// --format=esm) into a folder holding a copy of test/fixtures/cdn's .html and .json files (the
// bundle reads the corpus beside itself), a package.json and a link to build/ (the rewriter loads
// the addon from build/Release above the nearest package.json), run the bundle under plain node with 20 and 120
// passes, (I(120) - I(20)) / 100: between 5 and 45 passes TurboFan was still compiling, about 4 M
// instructions a pass, and a code change that moved its inlining moved that share by a million
// either way. Add --perf-basic-prof to name the JIT code's addresses in the output of
// callgrind_annotate from /tmp/perf-PID.map (other sessions may clean /tmp/perf-*.map: copy it).
// Per instruction of one function: --dump-instr=yes with --print-opt-code
// --print-opt-code-filter=NAME in the same run, whose listing carries the addresses callgrind counts.
import { chunksOf, loadCorpus, loadRules, noopTokenizerCallbacks } from './cdn-corpus.js';
import { HtmlRewriter } from '../engine/cdn/rewriter.js';
import { compilePolicy } from '../engine/cdn/url-policy.js';
import { FastTokenizer } from '../engine/cdn/tokenizer.js';

const [mode, passesArg] = process.argv.slice(2);
const passes = Number(passesArg);
if ((mode !== 'rewrite' && mode !== 'tokenize') || !Number.isInteger(passes) || passes < 0) {
  console.error('usage: perf/cdn-profile.ts rewrite|tokenize PASSES');
  process.exit(2);
}

const policy = compilePolicy(loadRules());
const pages = loadCorpus().map((p) => ({ ...p, url: new URL(p.pageUrl), chunks: chunksOf(p.body) }));

let outBytes = 0;
function rewritePass(): void {
  for (const p of pages) {
    const r = new HtmlRewriter({ policy, pageUrl: p.url, charset: p.charset });
    for (const c of p.chunks) outBytes += r.write(c).length;
    outBytes += r.end().length;
  }
}

function tokenizePass(): void {
  for (const p of pages) {
    const t = new FastTokenizer({ decodeEntities: false }, noopTokenizerCallbacks);
    for (const c of p.chunks) t.write(c.toString('latin1'));
    t.end();
  }
}

const pass = mode === 'rewrite' ? rewritePass : tokenizePass;
for (let i = 0; i < passes; i++) pass();
if (mode === 'rewrite') console.log(`${passes} passes, ${outBytes} bytes out`);
