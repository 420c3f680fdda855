// Summaries and the Markdown table of the live forwarding benchmark.
import os from 'node:os';

export interface Summary {
  min: number;
  median: number;
  max: number;
}

export function summarize(values: readonly number[]): Summary {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return { min: NaN, median: NaN, max: NaN };
  const mid = v.length >> 1;
  const median = v.length % 2 === 1 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
  return { min: v[0]!, median, max: v[v.length - 1]! };
}

export function machine(): Record<string, unknown> {
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cpus: os.cpus().length,
    kernel: os.release(),
    node: process.version,
    loadavg: os.loadavg().map((x) => Number(x.toFixed(2))),
  };
}

const fmt = (x: number, digits = 0): string => (Number.isFinite(x) ? x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : '–');
const triple = (s: Summary, scale = 1, digits = 0): string => `${fmt(s.min / scale, digits)} / **${fmt(s.median / scale, digits)}** / ${fmt(s.max / scale, digits)}`;

export interface VariantSummary {
  name: string;
  label: string;
  pps: Summary;
  generatorPps: Summary;
  ringDrops: Summary;
  dropShare: Summary;
  cpuNsPerFrame: Summary;
}

export function markdown(title: string, rows: readonly VariantSummary[], ratios: Record<string, Summary>, notes: readonly string[], info: Record<string, unknown>): string {
  const lines = [
    `# ${title}`,
    '',
    '| forwarder | forwarded kpps (min / **median** / max) | generator kpps (median) | ring drops (median) | dropped share (median) | forwarder CPU ns/frame (min / **median** / max) |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows.map((r) => `| ${r.label} | ${triple(r.pps, 1000)} | ${fmt(r.generatorPps.median / 1000)} | ${fmt(r.ringDrops.median)} | ${fmt(r.dropShare.median * 100, 1)} % | ${triple(r.cpuNsPerFrame)} |`),
    '',
    '| ratio (per round) | min / **median** / max |',
    '| --- | --- |',
    ...Object.entries(ratios).map(([k, s]) => `| ${k} | ${triple(s, 1, 3)} |`),
    '',
    ...notes.map((n) => `- ${n}`),
    '',
    `Machine: ${Object.entries(info).map(([k, v]) => `${k} ${Array.isArray(v) ? v.join(' ') : String(v)}`).join('; ')}.`,
    '',
  ];
  return lines.join('\n');
}
