// The failover benchmark's figures from its trials (pure): summaries against the targets of issue
// #5, the ratio against keepalived measured in the same run, where lbarray's time goes, and the
// Markdown table.
import { formatValue, summarize, type Summary } from './plot.js';
import type { DriverSample } from '../engine/demo/driver.js';

/**
 * The requests that failed between two samples, by when they were started against the kill (ms
 * since the epoch): before it (in flight at the kill: those on the killed node die with it) or
 * from it on; and when the latter started, in s after the kill (first, last).
 */
export function failedAround(a: Pick<DriverSample, 'failedAt'>, b: Pick<DriverSample, 'failedAt' | 'epochMs'>, killMs: number): { inFlight: number; after: number; spanS: [number, number] | null } {
  const starts = b.failedAt.slice(a.failedAt.length).map((s) => b.epochMs + s * 1000);
  const after = starts.filter((ms) => ms >= killMs).map((ms) => Math.round((ms - killMs) / 100) / 10);
  return { inFlight: starts.length - after.length, after: after.length, spanS: after.length === 0 ? null : [Math.min(...after), Math.max(...after)] };
}

export interface LbTrial {
  killed: string;
  /** The new master, from its first advert on the wire (node id). */
  master: string | null;
  /** From the kill, on the wire (null: not seen). */
  advertMs: number | null;
  garpMs: number | null;
  forwardedMs: number | null;
  /** From the kill to the new master's own log lines (its clock, ms resolution). */
  masterLogMs: number | null;
  activeLogMs: number | null;
  /** How long the new master's activation took, as it logs it. */
  activationMs: number | null;
  /** Downloads open on the surviving nodes at the kill, and how many of those nodes' downloads were reset in the trial. */
  streamsOnSurvivors: number;
  lost: number;
  /** Downloads reset on the killed node (they die with it: not counted as lost). */
  resetOnKilled: number;
  /** Requests started from the kill on that failed before the end of the trial; when they started, in s after the kill (first, last); by reason (with those of failedInFlight). */
  failedRequests: number;
  /** Requests started before the kill that failed after it: in flight at the kill (on the killed node they die with it, as its downloads). */
  failedInFlight: number;
  failedBy?: Record<string, number>;
  failedSpanS?: [number, number] | null;
  /** Downloads reset and requests failed between the previous trial's end and this kill (no lbarray failover under way). */
  resetBeforeKill: number;
  failedBeforeKill: number;
  /** The array was settled again (every node up in every view, one scheduler) before the next trial. */
  settled: boolean;
}

export interface KeepalivedTrial {
  killed: string;
  master: string | null;
  advertMs: number | null;
  garpMs: number | null;
}

export const targets = { medianMs: 350, maxMs: 500, lost: 0 } as const;

const values = (xs: ReadonlyArray<number | null>): number[] => xs.filter((x): x is number => x !== null);
const diff = (a: number | null, b: number | null): number | null => (a === null || b === null ? null : a - b);

/** Per trial: the stretches of lbarray's takeover, each from the previous wire event. */
export function breakdown(t: LbTrial): Record<string, number | null> {
  return {
    advertToGarpMs: diff(t.garpMs, t.advertMs),
    advertToForwardMs: diff(t.forwardedMs, t.advertMs),
  };
}

export interface FailoverSummary {
  trials: number;
  /** Trials where the capture showed no forwarded frame (or no advert): they count against the max. */
  unseen: number;
  forwardedMs: Summary;
  advertMs: Summary;
  garpMs: Summary;
  advertToGarpMs: Summary;
  advertToForwardMs: Summary;
  masterLogMs: Summary;
  activeLogMs: Summary;
  activationMs: Summary;
  keepalived: { trials: number; unseen: number; garpMs: Summary; advertMs: Summary } | null;
  /** lbarray's median kill → first forwarded packet over keepalived's median kill → first gratuitous ARP. */
  ratioVsKeepalived: number | null;
  /** The like-for-like figure: both medians kill → first gratuitous ARP. */
  garpRatioVsKeepalived: number | null;
  lost: { connections: number; streamsOnSurvivors: number; resetOnKilled: number; failedRequests: number; failedInFlight: number; resetBeforeKill: number; failedBeforeKill: number };
  /** Trials after which the array did not settle in time (the next kill hit a flapping array). */
  unsettled: number;
  met: { median: boolean; max: boolean; lost: boolean };
}

export function summarizeFailover(lb: readonly LbTrial[], ka: readonly KeepalivedTrial[] | null): FailoverSummary {
  const col = <T>(rows: readonly T[], get: (t: T) => number | null): Summary => summarize(values(rows.map(get)));
  const forwardedMs = col(lb, (t) => t.forwardedMs);
  const unseen = lb.filter((t) => t.forwardedMs === null).length;
  const sum = (get: (t: LbTrial) => number): number => lb.reduce((n, t) => n + get(t), 0);
  const kaGarp = ka ? col(ka, (t) => t.garpMs) : null;
  const garpMs = col(lb, (t) => t.garpMs);
  const ratio = (a: number, b: number | undefined): number | null => (b && Number.isFinite(a) && Number.isFinite(b) ? a / b : null);
  const lost = {
    connections: sum((t) => t.lost), streamsOnSurvivors: sum((t) => t.streamsOnSurvivors), resetOnKilled: sum((t) => t.resetOnKilled), failedRequests: sum((t) => t.failedRequests),
    failedInFlight: sum((t) => t.failedInFlight), resetBeforeKill: sum((t) => t.resetBeforeKill), failedBeforeKill: sum((t) => t.failedBeforeKill),
  };
  return {
    trials: lb.length,
    unseen,
    forwardedMs,
    advertMs: col(lb, (t) => t.advertMs),
    garpMs,
    advertToGarpMs: col(lb, (t) => breakdown(t).advertToGarpMs!),
    advertToForwardMs: col(lb, (t) => breakdown(t).advertToForwardMs!),
    masterLogMs: col(lb, (t) => t.masterLogMs),
    activeLogMs: col(lb, (t) => t.activeLogMs),
    activationMs: col(lb, (t) => t.activationMs),
    keepalived: ka ? { trials: ka.length, unseen: ka.filter((t) => t.garpMs === null).length, garpMs: kaGarp!, advertMs: col(ka, (t) => t.advertMs) } : null,
    ratioVsKeepalived: ratio(forwardedMs.median, kaGarp?.median),
    garpRatioVsKeepalived: ratio(garpMs.median, kaGarp?.median),
    lost,
    unsettled: lb.filter((t) => !t.settled).length,
    met: {
      median: forwardedMs.median <= targets.medianMs && unseen * 2 < lb.length,
      max: forwardedMs.max <= targets.maxMs && unseen === 0,
      lost: lost.connections === targets.lost,
    },
  };
}

const ms = (s: Summary): string => `${formatValue(s.min)} / **${formatValue(s.median)}** / ${formatValue(s.max)}`;
const cell = (v: number | null): string => (v === null ? '–' : formatValue(v));
const yes = (ok: boolean): string => (ok ? 'met' : '**not met**');

export function failoverMarkdown(s: FailoverSummary, lb: readonly LbTrial[], ka: readonly KeepalivedTrial[] | null, notes: readonly string[], machine: string): string {
  const k = s.keepalived;
  return [
    '# Failover: SIGKILL of the scheduler to the first packet the new one forwards',
    '',
    '| figure, ms from the SIGKILL (seen on the wire unless noted) | min / **median** / max | target |',
    '| --- | --- | --- |',
    `| lbarray: first client frame forwarded by the new scheduler (over the ${s.trials - s.unseen} of ${s.trials} trials where it was seen) | ${ms(s.forwardedMs)} | median ≤ ${targets.medianMs} (${yes(s.met.median)}), max ≤ ${targets.maxMs} (${yes(s.met.max)}) |`,
    `| lbarray: the new master's first VRRP advert | ${ms(s.advertMs)} | |`,
    `| lbarray: its first gratuitous ARP for the VIP | ${ms(s.garpMs)} | |`,
    ...(k ? [`| keepalived (baseline): the backup's first gratuitous ARP | ${ms(k.garpMs)} | |`, `| keepalived: the backup's first VRRP advert | ${ms(k.advertMs)} | |`] : []),
    '',
    `Trials: ${s.trials} lbarray${s.unsettled > 0 ? ` (${s.unsettled} after which the array did not settle in time: health views or the election still flapping)` : ''}${s.unseen > 0 ? ` (${s.unseen} with no forwarded frame seen within the capture: counted as not met)` : ''}${k ? `, ${k.trials} keepalived${k.unseen > 0 ? ` (${k.unseen} with no gratuitous ARP seen)` : ''}` : ''}.`,
    '',
    '| ratio (same run) | value |',
    '| --- | --- |',
    `| lbarray median kill → first forwarded / keepalived median kill → first gratuitous ARP | ${s.ratioVsKeepalived === null ? '–' : s.ratioVsKeepalived.toFixed(2)} |`,
    `| like for like: lbarray / keepalived, median kill → first gratuitous ARP | ${s.garpRatioVsKeepalived === null ? '–' : s.garpRatioVsKeepalived.toFixed(2)} |`,
    '',
    'Where lbarray\'s time goes (ms):',
    '',
    '| stretch | min / **median** / max |',
    '| --- | --- |',
    `| kill → new master's first advert (wire) | ${ms(s.advertMs)} |`,
    `| kill → its log line "VRRP backup → master" (its clock) | ${ms(s.masterLogMs)} |`,
    `| activation as the node logs it (the rings let frames in, the VIP announced, every forwarding thread running) | ${ms(s.activationMs)} |`,
    `| kill → its log line "scheduler active" | ${ms(s.activeLogMs)} |`,
    `| first advert → first gratuitous ARP (wire) | ${ms(s.advertToGarpMs)} |`,
    `| first advert → first forwarded frame (wire) | ${ms(s.advertToForwardMs)} |`,
    '',
    `Connections lost (resets of downloads held by surviving nodes, from a kill to the end of its trial, all trials; the client reopens a reset download 200 ms later, so one that keeps failing counts each time): **${s.lost.connections}** (target ${targets.lost}: ${yes(s.met.lost)}). ` +
      `Downloads on the killed node (they die with it): ${s.lost.resetOnKilled}. Requests started from a kill to the end of its trial that failed: ${s.lost.failedRequests}; ` +
      `requests in flight at a kill that failed after it: ${s.lost.failedInFlight}. ` +
      `Between trials, with no lbarray failover under way (the keepalived trial, the array settling): ${s.lost.resetBeforeKill} downloads reset, ${s.lost.failedBeforeKill} requests failed.`,
    '',
    '| trial | killed | new master | advert | GARP | forwarded | lost | failed requests (in flight at the kill) | settled after | keepalived GARP |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |',
    ...lb.map((t, i) => `| ${i + 1} | ${t.killed} | ${t.master ?? '–'} | ${cell(t.advertMs)} | ${cell(t.garpMs)} | ${cell(t.forwardedMs)} | ${t.lost} | ${t.failedRequests} (${t.failedInFlight}) | ${t.settled ? 'yes' : 'no'} | ${cell(ka?.[i]?.garpMs ?? null)} |`),
    '',
    ...notes.map((n) => `- ${n}`),
    '',
    `Machine: ${machine}.`,
    '',
  ].join('\n');
}
