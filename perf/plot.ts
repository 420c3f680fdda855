// The benchmarks' one plot: horizontal bars in panels, as a standalone SVG (no dependency). Each
// bar is a median with a min–max whisker, optionally the samples as dots and a target line, so a
// reader sees the spread of a noisy machine and not only a point. Pure functions: the figure is a
// function of the numbers (perf/plots.ts makes the numbers from a results JSON).

export interface Summary {
  min: number;
  median: number;
  max: number;
}

/** min / median / max of the finite values (NaN for all three when there are none). */
export function summarize(values: readonly number[]): Summary {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return { min: NaN, median: NaN, max: NaN };
  const mid = v.length >> 1;
  const median = v.length % 2 === 1 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
  return { min: v[0]!, median, max: v[v.length - 1]! };
}

/** Text safe inside an SVG element or attribute. */
export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** A label cut to `max` characters (an ellipsis marks the cut): the label column has a fixed width. */
export function fitLabel(label: string, max = LABEL_CHARS): string {
  return label.length <= max ? label : `${label.slice(0, max - 1).trimEnd()}…`;
}

/** The smallest 1, 2 or 5 × 10^k at or above `v` (the axis end); 1 for nothing positive. */
export function niceCeiling(v: number): number {
  if (!Number.isFinite(v) || v <= 0) return 1;
  const step = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 5, 10].map((m) => m * step).find((c) => c >= v * (1 - 1e-12))!;
}

/** Maps [0, max] onto [start, start + length], clamped at both ends. */
export function linearScale(max: number, start: number, length: number): (v: number) => number {
  return (v) => start + Math.min(1, Math.max(0, v / max)) * length;
}

export interface Bar {
  label: string;
  value: Summary;
  /** Every measurement behind the summary, drawn as dots. */
  samples?: readonly number[];
}

export interface Panel {
  title: string;
  bars: readonly Bar[];
  /** Digits of the printed median. */
  digits?: number;
  /** A vertical line, e.g. a target. */
  marker?: { value: number; label: string };
}

const LABEL_WIDTH = 330;
/** What fits in LABEL_WIDTH at 12 px sans-serif. */
const LABEL_CHARS = 46;
const PLOT_WIDTH = 380;
const ROW = 26;
const fixed = (v: number): string => v.toFixed(1);
/** Formats a number for a label: thousands separated, `digits` decimals. */
export const formatValue = (v: number, digits = 0): string =>
  Number.isFinite(v) ? v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : '–';

function panelSvg(panel: Panel, top: number): string[] {
  const finite = panel.bars.flatMap((b) => [b.value.max, b.value.median, ...(b.samples ?? [])]).filter(Number.isFinite);
  const axisMax = niceCeiling(Math.max(...finite, panel.marker?.value ?? 0, 0));
  const x = linearScale(axisMax, LABEL_WIDTH, PLOT_WIDTH);
  const bottom = top + 24 + panel.bars.length * ROW;
  const out = [`<text x="10" y="${top + 14}" font-weight="bold">${escapeXml(panel.title)}</text>`];
  for (const tick of [0, axisMax / 2, axisMax]) {
    out.push(`<line x1="${fixed(x(tick))}" x2="${fixed(x(tick))}" y1="${top + 20}" y2="${bottom}" stroke="#ddd"/>`,
      `<text x="${fixed(x(tick))}" y="${bottom + 12}" text-anchor="middle" fill="#666">${formatValue(tick, tick < 10 && tick % 1 !== 0 ? 2 : 0)}</text>`);
  }
  panel.bars.forEach((bar, i) => {
    const y = top + 24 + i * ROW;
    const s = bar.value;
    // The whole label stays in a <title> (shown on hover) when the column cuts it.
    const full = fitLabel(bar.label) === bar.label ? '' : `<title>${escapeXml(bar.label)}</title>`;
    out.push(`<text x="10" y="${y + 13}">${full}${escapeXml(fitLabel(bar.label))}</text>`);
    if (!Number.isFinite(s.median)) return;
    out.push(`<rect x="${LABEL_WIDTH}" y="${y}" width="${fixed(x(s.median) - LABEL_WIDTH)}" height="18" fill="#4a7bb7"/>`);
    if (Number.isFinite(s.min) && Number.isFinite(s.max)) out.push(`<line x1="${fixed(x(s.min))}" x2="${fixed(x(s.max))}" y1="${y + 9}" y2="${y + 9}" stroke="black"/>`);
    for (const v of bar.samples ?? []) if (Number.isFinite(v)) out.push(`<circle cx="${fixed(x(v))}" cy="${y + 9}" r="2" fill="#d95f02" fill-opacity="0.7"/>`);
    out.push(`<text x="${fixed(Math.max(x(s.max), x(s.median)) + 6)}" y="${y + 13}">${formatValue(s.median, panel.digits)}</text>`);
  });
  if (panel.marker) {
    const mx = fixed(x(panel.marker.value));
    out.push(`<line x1="${mx}" x2="${mx}" y1="${top + 20}" y2="${bottom}" stroke="#c00" stroke-dasharray="4 3"/>`,
      `<text x="${mx}" y="${top + 14}" text-anchor="middle" fill="#c00">${escapeXml(panel.marker.label)}</text>`);
  }
  return out;
}

const panelHeight = (p: Panel): number => 50 + p.bars.length * ROW;

/** Panels of median bars with min–max whiskers, stacked under one title; `note` goes at the foot. */
export function barChart(title: string, panels: readonly Panel[], note?: string): string {
  const width = LABEL_WIDTH + PLOT_WIDTH + 90;
  let top = 40;
  const body: string[] = [];
  for (const p of panels) {
    body.push(...panelSvg(p, top));
    top += panelHeight(p);
  }
  if (note) body.push(`<text x="10" y="${top + 4}" fill="#666">${escapeXml(note)}</text>`);
  const height = top + (note ? 16 : 0);
  return [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    '<rect width="100%" height="100%" fill="white"/>', `<text x="10" y="22" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
    ...body, '</svg>', ''].join('\n');
}
