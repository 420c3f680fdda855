// The Markdown table of the live forwarding benchmark, and the machine's description.
import os from 'node:os';
import { formatValue as fmt, type Summary } from './plot.js';

export function machine(): Record<string, unknown> {
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cpus: os.cpus().length,
    kernel: os.release(),
    node: process.version,
    loadavg: os.loadavg().map((x) => Number(x.toFixed(2))),
  };
}

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

export interface LatencySummary {
  name: string;
  label: string;
  rate: number;
  p50us: Summary;
  p99us: Summary;
  p999us: Summary;
  /** Share of stamped frames that never reached the sink. */
  lostShare: Summary;
  /** Per round, this path's p50 and p99 less the wire's (no forwarder) in the same round: the latency the forwarder adds. */
  addedP50us?: Summary;
  addedP99us?: Summary;
}

export function latencyMarkdown(rows: readonly LatencySummary[]): string {
  if (rows.length === 0) return '';
  return [
    `One-way latency generator → sink at ${fmt(rows[0]!.rate / 1000)} kpps (half load), µs:`,
    '',
    '| forwarder | p50 (median) | p99 (min / **median** / max) | p99.9 (median) | lost (median) | added p50 (median) | added p99 (min / **median** / max) |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map((r) => `| ${r.label} | ${fmt(r.p50us.median, 1)} | ${triple(r.p99us, 1, 1)} | ${fmt(r.p999us.median, 1)} | ${fmt(r.lostShare.median * 100, 2)} % | `
      + `${r.addedP50us ? fmt(r.addedP50us.median, 1) : '–'} | ${r.addedP99us ? triple(r.addedP99us, 1, 1) : '–'} |`),
    '',
  ].join('\n');
}

export function markdown(title: string, rows: readonly VariantSummary[], ratios: Record<string, Summary>, notes: readonly string[], info: Record<string, unknown>, latency: readonly LatencySummary[] = []): string {
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
    latencyMarkdown(latency),
    ...notes.map((n) => `- ${n}`),
    '',
    `Machine: ${Object.entries(info).map(([k, v]) => `${k} ${Array.isArray(v) ? v.join(' ') : String(v)}`).join('; ')}.`,
    '',
  ];
  return lines.join('\n');
}
