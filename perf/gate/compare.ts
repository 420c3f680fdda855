// The gate's verdict: each measured figure against its committed baseline, beyond its tolerance in
// the direction that is worse. Pure (no I/O), so the test runs it on real measurements.

export interface Figure {
  id: string;
  label: string;
  value: number;
  unit: string;
  /** Which way is better: an instruction count should not grow, a throughput ratio should not shrink. */
  better: 'lower' | 'higher';
  /** Allowed relative change in the worse direction (0.1 = 10 %). */
  tolerance: number;
}

export interface Baseline {
  updated?: string;
  figures: Record<string, { value: number }>;
}

export interface Verdict {
  figure: Figure;
  baseline: number | undefined;
  /** Relative change, measured / baseline − 1 (NaN without a baseline). */
  change: number;
  ok: boolean;
  message?: string;
}

export const UPDATE_COMMAND = 'npm run bench -- gate --update';

const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;
const num = (x: number): string => (Math.abs(x) >= 100 ? x.toFixed(1) : x.toFixed(3));

export function verdict(figure: Figure, baseline: number | undefined): Verdict {
  if (baseline === undefined || !(baseline > 0)) {
    return { figure, baseline, change: NaN, ok: false, message: `gate: no baseline for "${figure.label}" (measured ${num(figure.value)} ${figure.unit}); record one with \`${UPDATE_COMMAND}\`` };
  }
  const change = figure.value / baseline - 1;
  const worse = figure.better === 'lower' ? change : -change;
  if (Number.isFinite(worse) && worse <= figure.tolerance) return { figure, baseline, change, ok: true };
  return {
    figure, baseline, change, ok: false,
    message: `gate: "${figure.label}" regressed: baseline ${num(baseline)} ${figure.unit}, measured ${num(figure.value)} ${figure.unit} ` +
      `(${change >= 0 ? '+' : ''}${pct(change)}; ${figure.better} is better), tolerance ${pct(figure.tolerance)}`,
  };
}

export function compare(baseline: Baseline, measured: readonly Figure[]): { verdicts: Verdict[]; failures: string[] } {
  const verdicts = measured.map((f) => verdict(f, baseline.figures[f.id]?.value));
  return { verdicts, failures: verdicts.flatMap((v) => (v.message === undefined ? [] : [v.message])) };
}

export function gateTable(verdicts: readonly Verdict[]): string {
  return [
    '| figure | baseline | measured | change | tolerance | verdict |',
    '| --- | ---: | ---: | ---: | ---: | --- |',
    ...verdicts.map((v) => `| ${v.figure.label} (${v.figure.unit}) | ${v.baseline === undefined ? '–' : num(v.baseline)} | ${num(v.figure.value)} | ` +
      `${Number.isFinite(v.change) ? (v.change >= 0 ? '+' : '') + pct(v.change) : '–'} | ${v.figure.better === 'lower' ? '+' : '−'}${pct(v.figure.tolerance)} | ${v.ok ? 'ok' : '**REGRESSED**'} |`),
  ].join('\n');
}

/** The baseline file's content for `--update`: the measured values. */
export function baselineOf(measured: readonly Figure[], extra: Record<string, unknown> = {}): Baseline & Record<string, unknown> {
  return {
    updated: new Date().toISOString(),
    ...extra,
    figures: Object.fromEntries(measured.map((f) => [f.id, { value: f.value, label: f.label, unit: f.unit, better: f.better, tolerance: f.tolerance }])),
  };
}
