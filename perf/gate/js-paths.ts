// The gate's figures for the TypeScript hot paths, counted under callgrind as the daemon runs them
// (the compiled files in dist/, node --predictable: one thread, the same count every run within
// about 1 %), so a change that makes the L7 proxy or the CDN rewriter do more work per request or
// per byte fails CI as the scheduler's C++ figures do:
// - L7: instructions per wrk-style keep-alive request through one in-process proxy
//   (perf/l7-profile.ts, driven by perf/l7-keepalive-client.ts: 12000 warm-up requests, then
//   callgrind's counts of 4000 more alone);
// - CDN: instructions per byte of the benchmark corpus rewritten (perf/cdn-profile.ts), the
//   difference between a run of 20 corpus passes and one of 70, so start-up and most of the
//   optimizing compiler's work fall out.
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort } from '../../test/l7/fixtures/backends.js';
import { loadCorpus } from '../cdn-corpus.js';
import { INSTRUCTION_TOLERANCE } from './measure.js';
import type { Figure } from './compare.js';

const run = promisify(execFile);
const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = (file: string): string => path.join(root, 'dist', 'perf', file);

export const L7_WARM_REQUESTS = 12000;
export const L7_COUNTED_REQUESTS = 4000;
export const CDN_PASSES: readonly [number, number] = [20, 70];

/** Compiles the tree (dist/ is what is measured: a stale one would measure old code). */
async function compile(): Promise<void> {
  await run(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(root, 'tsconfig.json')], { cwd: root });
}

/** Instructions per keep-alive request of the compiled L7 proxy. */
export async function l7RequestInstructions(): Promise<number> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lbarray-gate-l7-'));
  const out = path.join(dir, 'callgrind.out');
  const [proxyPort, backendPort] = [await freePort(), await freePort()];
  const proxy = spawn('valgrind', ['--tool=callgrind', `--callgrind-out-file=${out}`, process.execPath, '--predictable', dist('l7-profile.js'),
    String(proxyPort), String(backendPort), '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let proxyErr = '';
  proxy.stderr.on('data', (d: Buffer) => { proxyErr = (proxyErr + d).slice(-4000); });
  const exited = new Promise<void>((r) => proxy.once('exit', () => r()));
  try {
    // The client dumps callgrind's counts after the warm-up (OUT.1) and after the counted requests (OUT.2).
    await run(process.execPath, [dist('l7-keepalive-client.js'), String(proxyPort), String(backendPort), String(L7_WARM_REQUESTS),
      String(L7_COUNTED_REQUESTS), 'wrk', String(proxy.pid)], { timeout: 300_000 });
    const summary = /^summary:\s+(\d+)/m.exec(fs.readFileSync(`${out}.2`, 'utf8'));
    if (summary === null) throw new Error(`callgrind wrote no summary to ${out}.2`);
    return Number(summary[1]) / L7_COUNTED_REQUESTS;
  } catch (e) {
    throw new Error(`gate: counting the L7 proxy's instructions failed: ${(e as Error).message}\n${proxyErr}`);
  } finally {
    proxy.kill('SIGKILL');
    await exited;
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Instructions of a run of the compiled CDN rewriter over `passes` corpus passes. */
async function cdnRun(passes: number): Promise<number> {
  const { stderr } = await run('valgrind', ['--tool=callgrind', '--callgrind-out-file=/dev/null', process.execPath, '--predictable', dist('cdn-profile.js'),
    'rewrite', String(passes)], { maxBuffer: 16 << 20, timeout: 300_000 });
  const collected = /Collected : (\d+)/.exec(stderr);
  if (collected === null) throw new Error(`gate: callgrind printed no count for the CDN rewriter:\n${stderr.slice(-2000)}`);
  return Number(collected[1]);
}

/** Instructions per corpus byte of the compiled CDN rewriter. */
export async function cdnByteInstructions(): Promise<number> {
  const [few, many] = await Promise.all(CDN_PASSES.map(cdnRun));
  const bytes = loadCorpus().reduce((n, p) => n + p.body.length, 0);
  return (many - few) / (CDN_PASSES[1] - CDN_PASSES[0]) / bytes;
}

export async function measureJsInstructions(): Promise<Figure[]> {
  await compile();
  const figure = (id: string, label: string, value: number, unit: string): Figure => ({ id, label, value, unit, better: 'lower', tolerance: INSTRUCTION_TOLERANCE });
  return [
    figure('l7-request-instructions', 'L7 proxy, a keep-alive request (compiled)', await l7RequestInstructions(), 'instructions/request'),
    figure('cdn-rewrite-instructions', 'CDN rewriter, the benchmark corpus (compiled)', await cdnByteInstructions(), 'instructions/byte'),
  ];
}
