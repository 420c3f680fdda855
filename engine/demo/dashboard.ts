// The demo's screen, as pure functions of the driver's samples: a table of the nodes (role, the
// scheduler each one sees, requests/s, packets/s, streams held), the back-ends' health, the
// client's totals, and the events so far (failovers). Tested without a lab.
import type { NodeStatus } from '../admin/status.js';
import { renderTable } from '../cli/table.js';
import type { DriverSample, StreamCounts } from './driver.js';

export interface DemoEvent { t: number; text: string }

/** Frames a node forwarded as the scheduler (its `scheduler.packets.<node>` counters). */
function packets(status: NodeStatus | undefined): number {
  if (!status) return 0;
  let n = 0;
  for (const [k, v] of Object.entries(status.counters)) if (k.startsWith('scheduler.packets.')) n += v;
  return n;
}

function rate(now: number, before: number, seconds: number): string {
  return seconds > 0 ? String(Math.max(0, Math.round((now - before) / seconds))) : '-';
}

function streamsText(s: StreamCounts | undefined): string {
  return s ? `${s.open} open, ${s.reset} reset` : '-';
}

/**
 * The scheduler, when the array agrees on one: a node says it is the scheduler and every node
 * that answers names it. Null while electing, split, or nobody answers.
 */
export function electedScheduler(sample: DriverSample): string | null {
  const answering = sample.statuses.flatMap((s) => (s.status ? [s.status] : []));
  const claim = answering.find((s) => s.role === 'scheduler');
  if (!claim) return null;
  return answering.every((s) => s.scheduler === claim.node) ? claim.node : null;
}

export function renderDashboard(now: DriverSample, before: DriverSample | undefined, events: readonly DemoEvent[], totalSeconds: number): string {
  const dt = before ? now.t - before.t : 0;
  const rows = now.statuses.map(({ id, status, error }) => {
    const prev = before?.statuses.find((s) => s.id === id)?.status;
    const up = status ? status.nodes.filter((n) => n.up).map((n) => n.id).join(',') : '-';
    return [
      id,
      status ? status.role : error ?? 'down',
      status?.scheduler ?? '-',
      rate(now.byNode[id] ?? 0, before?.byNode[id] ?? 0, dt),
      status && prev ? rate(packets(status), packets(prev), dt) : '-',
      streamsText(now.streams[id]),
      up,
    ];
  });
  const backends = now.statuses.find((s) => s.status)?.status?.backends ?? [];
  const req = (c: { ok: number; failed: number }) => `${c.ok} ok, ${c.failed} failed`;
  return [
    `lbarray demo  ${now.t.toFixed(1)} s of ${totalSeconds} s   scheduler: ${electedScheduler(now) ?? '(electing)'}`,
    '',
    renderTable(['NODE', 'ROLE', 'SEES SCHEDULER', 'REQ/S', 'PKTS/S', 'STREAMS', 'NODES UP'], rows),
    `back-ends: ${backends.length ? backends.map((b) => `${b.pool}/${b.address}:${b.port} ${b.up ? 'up' : 'DOWN'}`).join('  ') : '-'}`,
    `client:    HTTP ${req(now.http)}   HTTPS ${req(now.https)}`,
    ...(Object.keys(now.errors).length ? [`failures:  ${Object.entries(now.errors).sort((a, b) => b[1] - a[1]).slice(0, 4).map(([k, n]) => `${k} ×${n}`).join(', ')}`] : []),
    '',
    ...events.map((e) => `  ${e.t.toFixed(1).padStart(6)} s  ${e.text}`),
    '',
  ].join('\n');
}

export interface DemoSummary {
  seconds: number;
  http: { ok: number; failed: number };
  https: { ok: number; failed: number };
  byNode: Record<string, number>;
  /** Streams reset on nodes other than the killed one (the claim: 0). */
  survivorResets: number;
  killedResets: number;
  /** Scheduler changes: the kill's takeover, a restarted node reclaiming the role (preempt), any other. */
  failovers: Array<{ cause: 'kill' | 'preempt' | 'unplanned'; from: string; to: string | null; seconds: number | null }>;
  /** Failed requests started outside the failover windows (kill → takeover + `grace`). */
  failedOutsideFailover: number;
  errors: Record<string, number>;
}

export type Failover = DemoSummary['failovers'][number] & { at: number };

/** `grace`: seconds after a takeover during which a request started before it may still fail. */
export function summarize(last: DriverSample, killed: string | null, failovers: readonly Failover[], grace = 2): DemoSummary {
  let survivorResets = 0;
  let killedResets = 0;
  for (const [node, s] of Object.entries(last.streams)) {
    if (node === killed || node === '?') killedResets += s.reset;
    else survivorResets += s.reset;
  }
  const inWindow = (t: number) => failovers.some((f) => t >= f.at - grace && t <= f.at + (f.seconds ?? Infinity) + grace);
  return {
    seconds: last.t, http: last.http, https: last.https, byNode: last.byNode, survivorResets, killedResets,
    failovers: failovers.map(({ cause, from, to, seconds }) => ({ cause, from, to, seconds })),
    failedOutsideFailover: last.failedAt.filter((t) => !inWindow(t)).length,
    errors: last.errors,
  };
}

export function renderSummary(s: DemoSummary): string {
  const nodes = Object.keys(s.byNode).sort();
  return [
    'summary',
    renderTable(['NODE', 'REQUESTS SERVED'], nodes.map((n) => [n, String(s.byNode[n])])),
    renderTable(['WHAT', 'RESULT'], [
      ['HTTP requests', `${s.http.ok} ok, ${s.http.failed} failed`],
      ['HTTPS requests', `${s.https.ok} ok, ${s.https.failed} failed`],
      ...s.failovers.map((f) => f.cause === 'kill'
        ? ['failover', `${f.from} killed → ${f.to ?? 'no new scheduler'}${f.seconds === null ? '' : ` in ${f.seconds.toFixed(2)} s`}`]
        : f.cause === 'preempt' ? ['preempt', `${f.to} took the role back from ${f.from}`]
          : ['unplanned takeover', `${f.to} took the role from ${f.from}`]),
      ['failed requests outside the failover', String(s.failedOutsideFailover)],
      ['streams reset on surviving nodes', String(s.survivorResets)],
      ['streams reset with the killed node', String(s.killedResets)],
    ]),
  ].join('\n');
}
