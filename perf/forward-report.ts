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

export interface LatencySummary {
  name: string;
  label: string;
  rate: number;
  p50us: Summary;
  p99us: Summary;
  p999us: Summary;
  /** Share of stamped frames that never reached the sink. */
  lostShare: Summary;
}

export function latencyMarkdown(rows: readonly LatencySummary[]): string {
  if (rows.length === 0) return '';
  return [
    `One-way latency generator → sink at ${fmt(rows[0]!.rate / 1000)} kpps (half load), µs:`,
    '',
    '| forwarder | p50 (median) | p99 (min / **median** / max) | p99.9 (median) | lost (median) |',
    '| --- | --- | --- | --- | --- |',
    ...rows.map((r) => `| ${r.label} | ${fmt(r.p50us.median, 1)} | ${triple(r.p99us, 1, 1)} | ${fmt(r.p999us.median, 1)} | ${fmt(r.lostShare.median * 100, 2)} % |`),
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

/** Two bar panels (forwarded kpps, CPU ns per frame): median bars with min–max whiskers. */
export function svg(title: string, rows: readonly VariantSummary[]): string {
  const panels = [
    { name: 'forwarded kpps', get: (r: VariantSummary) => r.pps, scale: 1 / 1000 },
    { name: 'forwarder CPU ns per frame (lower is better)', get: (r: VariantSummary) => r.cpuNsPerFrame, scale: 1 },
  ];
  const labelWidth = 330;
  const barWidth = 360;
  const rowHeight = 26;
  const panelHeight = 40 + rows.length * rowHeight;
  const width = labelWidth + barWidth + 80;
  const height = 40 + panels.length * panelHeight;
  const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`, `<text x="10" y="22" font-size="15" font-weight="bold">${esc(title)}</text>`];
  panels.forEach((panel, p) => {
    const top = 40 + p * panelHeight;
    const max = Math.max(...rows.map((r) => panel.get(r).max * panel.scale).filter(Number.isFinite), 1);
    const x = (v: number): number => labelWidth + (v * panel.scale / max) * barWidth;
    parts.push(`<text x="10" y="${top + 14}" font-weight="bold">${esc(panel.name)}</text>`);
    rows.forEach((r, i) => {
      const s = panel.get(r);
      const y = top + 24 + i * rowHeight;
      parts.push(`<text x="10" y="${y + 13}">${esc(r.label)}</text>`);
      if (!Number.isFinite(s.median)) return;
      parts.push(`<rect x="${labelWidth}" y="${y}" width="${(x(s.median) - labelWidth).toFixed(1)}" height="18" fill="#4a7bb7"/>`,
        `<line x1="${x(s.min).toFixed(1)}" x2="${x(s.max).toFixed(1)}" y1="${y + 9}" y2="${y + 9}" stroke="black"/>`,
        `<text x="${(x(s.max) + 6).toFixed(1)}" y="${y + 13}">${(s.median * panel.scale).toFixed(0)}</text>`);
    });
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
