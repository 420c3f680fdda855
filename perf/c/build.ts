// Builds the C tools (packet generator, baseline forwarder, latency sink) on demand with `cc -O2` into
// perf/bin/ (gitignored): only when a binary is missing or older than its sources.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const sourceDir = path.dirname(fileURLToPath(import.meta.url));
export const binDir = path.join(sourceDir, '..', 'bin');

export const cTools = ['pktgen', 'fwd', 'sink'] as const;
export type CTool = (typeof cTools)[number];

function mtime(file: string): number {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return -1;
  }
}

/** Path of the built tool, compiling it first if needed. */
export async function buildCTool(tool: CTool): Promise<string> {
  const out = path.join(binDir, tool);
  const sources = [path.join(sourceDir, `${tool}.c`), path.join(sourceDir, 'common.h'), path.join(sourceDir, 'stamp.h')];
  if (sources.every((s) => mtime(s) < mtime(out))) return out;
  fs.mkdirSync(binDir, { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  await run('cc', ['-O2', '-Wall', '-Wextra', '-o', tmp, sources[0]!]);
  fs.renameSync(tmp, out); // atomic: a parallel build never runs a half-written binary
  return out;
}

export async function buildCTools(): Promise<Record<CTool, string>> {
  const [pktgen, fwd, sink] = await Promise.all(cTools.map(buildCTool));
  return { pktgen: pktgen!, fwd: fwd!, sink: sink! };
}
