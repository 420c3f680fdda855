// The RFC 5798 §6.4 state machine, case by case: each case names the rule it proves and lists
// events (time in ms) with the actions each must produce.
import t from 'tap';
import { ipBytes } from '../../engine/packet/index.js';
import { RECLAIM_MS, VrrpMachine, type VrrpAction, type VrrpOptions } from '../../engine/cluster/vrrp-state.js';

const ME = ipBytes('198.18.0.12');
const LOWER_ADDR = ipBytes('198.18.0.11');
const HIGHER_ADDR = ipBytes('198.18.0.13');
const base: VrrpOptions = { priority: 100, intervalCs: 10, preempt: true, address: ME };
// priority 100, 100 ms: Skew_Time = 156 × 100 / 256 = 60.9375 ms; Master_Down_Interval = 360.9375 ms.
const SKEW = 60.9375;
const MDI = 300 + SKEW;

type Event =
  | { at: number; start: true }
  | { at: number; tick: true }
  | { at: number; shutdown: true }
  | { at: number; eligible: boolean }
  | { at: number; advert: { priority: number; intervalCs?: number; source?: Uint8Array } };
interface Case { rule: string; options?: Partial<VrrpOptions>; events: Array<Event & { want: VrrpAction[] }>; state: string; deadline?: number | null }

const send = (priority: number): VrrpAction => ({ do: 'send', priority });
const reclaim: VrrpAction = { do: 'reclaim' };
const become = (state: 'backup' | 'master' | 'initialize'): VrrpAction => ({ do: 'become', state });
const asMaster = [{ at: 0, start: true, want: [become('backup')] }, { at: MDI, tick: true, want: [send(100), become('master')] }] as const;

const cases: Case[] = [
  { rule: '§6.4.1: startup goes to Backup and waits Master_Down_Interval', events: [{ at: 0, start: true, want: [become('backup')] }],
    state: 'backup', deadline: MDI },
  { rule: '§6.4.2: no master heard for Master_Down_Interval → advert, then Master', events: [...asMaster], state: 'master', deadline: MDI + 100 },
  { rule: '§6.4.2: the timer does not fire early', events: [{ at: 0, start: true, want: [become('backup')] }, { at: MDI - 1, tick: true, want: [] }], state: 'backup' },
  { rule: '§6.4.3: a master advertises every Advertisement_Interval', events: [...asMaster, { at: MDI + 99, tick: true, want: [] }, { at: MDI + 100, tick: true, want: [send(100)] }],
    state: 'master', deadline: MDI + 200 },
  { rule: '§6.4.2: an advert of a higher priority resets Master_Down_Timer',
    events: [{ at: 0, start: true, want: [become('backup')] }, { at: 300, advert: { priority: 150 }, want: [] }, { at: MDI + 10, tick: true, want: [] }],
    state: 'backup', deadline: 300 + MDI },
  { rule: '§6.4.2: the backup learns the master\'s interval (Master_Down_Interval = 3 × 50 cs + skew)',
    events: [{ at: 0, start: true, want: [become('backup')] }, { at: 100, advert: { priority: 150, intervalCs: 50 }, want: [] }],
    state: 'backup', deadline: 100 + 1500 + (156 * 500) / 256 },
  { rule: '§6.4.2: preempt on, a lower-priority advert is discarded: the backup takes over',
    events: [{ at: 0, start: true, want: [become('backup')] }, { at: 200, advert: { priority: 50 }, want: [] }, { at: MDI, tick: true, want: [send(100), become('master')] }],
    state: 'master' },
  { rule: '§6.4.2: preempt off, a lower-priority master is accepted',
    options: { preempt: false },
    events: [{ at: 0, start: true, want: [become('backup')] }, { at: 200, advert: { priority: 50 }, want: [] }, { at: MDI, tick: true, want: [] }],
    state: 'backup', deadline: 200 + MDI },
  { rule: '§6.4.2: priority 0 from the master → take over after Skew_Time, not Master_Down_Interval',
    events: [{ at: 0, start: true, want: [become('backup')] }, { at: 100, advert: { priority: 150 }, want: [] }, { at: 150, advert: { priority: 0 }, want: [] },
      { at: 150 + SKEW - 1, tick: true, want: [] }, { at: 150 + SKEW, tick: true, want: [send(100), become('master')] }],
    state: 'master' },
  { rule: 'Skew_Time orders backups: priority 200 waits (56 × 100 / 256) ms after priority 0',
    options: { priority: 200 },
    events: [{ at: 0, start: true, want: [become('backup')] }, { at: 100, advert: { priority: 0 }, want: [] }],
    state: 'backup', deadline: 100 + (56 * 100) / 256 },
  { rule: '§6.4.3: a master hearing a higher priority steps down to Backup',
    events: [...asMaster, { at: 400, advert: { priority: 101 }, want: [become('backup')] }], state: 'backup', deadline: 400 + MDI },
  { rule: '§6.4.3: equal priority, higher primary address wins: the master steps down',
    events: [...asMaster, { at: 400, advert: { priority: 100, source: HIGHER_ADDR }, want: [become('backup')] }], state: 'backup' },
  { rule: '§6.4.3: equal priority, lower primary address: the master stays (and reclaims: the other claimed the role)',
    events: [...asMaster, { at: 400, advert: { priority: 100, source: LOWER_ADDR }, want: [send(100), reclaim] }], state: 'master' },
  { rule: '§6.4.3: a master stays master when it hears a lower priority; it advertises at once and reclaims the VIP (as keepalived)',
    events: [...asMaster, { at: 400, advert: { priority: 99 }, want: [send(100), reclaim] }], state: 'master', deadline: 500 },
  { rule: 'reclaims at most once per RECLAIM_MS: a router that keeps claiming does not flood the link',
    events: [...asMaster, { at: 400, advert: { priority: 99 }, want: [send(100), reclaim] }, { at: 500, advert: { priority: 99 }, want: [] },
      { at: 400 + RECLAIM_MS - 1, advert: { priority: 99 }, want: [] }, { at: 400 + RECLAIM_MS, advert: { priority: 99 }, want: [send(100), reclaim] }],
    state: 'master' },
  { rule: '§6.4.3: a master hearing priority 0 advertises at once',
    events: [...asMaster, { at: 380, advert: { priority: 0 }, want: [send(100)] }], state: 'master', deadline: 480 },
  { rule: '§6.4.3: a master that shuts down sends priority 0, then Initialize',
    events: [...asMaster, { at: 400, shutdown: true, want: [send(0), become('initialize')] }], state: 'initialize', deadline: null },
  { rule: '§6.4.2: a backup that shuts down sends nothing',
    events: [{ at: 0, start: true, want: [become('backup')] }, { at: 10, shutdown: true, want: [become('initialize')] }], state: 'initialize' },
  { rule: 'in Initialize adverts and timers do nothing',
    events: [{ at: 0, advert: { priority: 200 }, want: [] }, { at: 1000, tick: true, want: [] }, { at: 1000, shutdown: true, want: [] }], state: 'initialize', deadline: null },
  { rule: 'not eligible (own L7 down): a backup never stands, even with no master',
    events: [{ at: 0, start: true, want: [become('backup')] }, { at: 1, eligible: false, want: [] }, { at: MDI, tick: true, want: [] }, { at: 2 * MDI, tick: true, want: [] }],
    state: 'backup' },
  { rule: 'not eligible: a master resigns with priority 0 and goes Backup',
    events: [...asMaster, { at: 400, eligible: false, want: [send(0), become('backup')] }, { at: 400 + MDI, tick: true, want: [] }], state: 'backup' },
  { rule: 'eligible again: the backup stands once no master is heard',
    events: [{ at: 0, start: true, want: [become('backup')] }, { at: 1, eligible: false, want: [] }, { at: MDI, tick: true, want: [] },
      { at: MDI + 1, eligible: true, want: [] }, { at: 2 * MDI, tick: true, want: [send(100), become('master')] }],
    state: 'master' },
  { rule: 'not eligible with preempt on: a lower-priority master is accepted (no preemption by a broken node)',
    events: [{ at: 0, start: true, want: [become('backup')] }, { at: 1, eligible: false, want: [] }, { at: 200, advert: { priority: 50 }, want: [] }],
    state: 'backup', deadline: 200 + MDI },
];

for (const c of cases) {
  t.test(c.rule, async (t) => {
    const m = new VrrpMachine({ ...base, ...c.options });
    for (const e of c.events) {
      let got: VrrpAction[];
      if ('start' in e) got = m.start(e.at);
      else if ('tick' in e) got = m.tick(e.at);
      else if ('shutdown' in e) got = m.shutdown(e.at);
      else if ('eligible' in e) got = m.setEligible(e.eligible, e.at);
      else got = m.receive({ priority: e.advert.priority, intervalCs: e.advert.intervalCs ?? 10, source: e.advert.source ?? HIGHER_ADDR }, e.at);
      t.same(got, e.want, `at ${e.at}: ${JSON.stringify(e)}`);
    }
    t.equal(m.state, c.state);
    if (c.deadline !== undefined) t.equal(m.nextDeadline, c.deadline, 'next deadline');
  });
}

t.test('the master\'s address is known while Backup, forgotten on takeover', async (t) => {
  const m = new VrrpMachine(base);
  m.start(0);
  m.receive({ priority: 150, intervalCs: 10, source: HIGHER_ADDR }, 10);
  t.same(m.masterAddress, HIGHER_ADDR);
  m.receive({ priority: 0, intervalCs: 10, source: HIGHER_ADDR }, 20);
  t.equal(m.masterAddress, null);
});

/** A machine that heard `adverts` ([at, priority, source]) as Backup, then ran its timers at `until`. */
function afterTimers(adverts: Array<[number, number, Uint8Array]>, until: number): VrrpMachine {
  const m = new VrrpMachine(base);
  m.start(0);
  for (const [at, priority, source] of adverts) m.receive({ priority, intervalCs: 10, source }, at);
  m.tick(until);
  return m;
}

t.test('silentMaster: the master this node took over from because it fell silent; none when it resigned, was preempted or none was heard', async (t) => {
  const silent = afterTimers([[10, 150, HIGHER_ADDR]], 10 + MDI);
  t.equal(silent.state, 'master');
  t.same(silent.silentMaster, HIGHER_ADDR, 'its adverts stopped: it is the silent master');
  const resigned = afterTimers([[10, 150, HIGHER_ADDR], [20, 0, HIGHER_ADDR]], 20 + SKEW);
  t.equal(resigned.state, 'master');
  t.equal(resigned.silentMaster, null, 'a master that resigned (priority 0) is not silent: it is going away in order');
  const preempting = afterTimers([[200, 50, LOWER_ADDR]], MDI);
  t.equal(preempting.state, 'master');
  t.equal(preempting.silentMaster, null, 'a live lower-priority master that was preempted is not silent');
  const alone = afterTimers([], MDI);
  t.equal(alone.state, 'master');
  t.equal(alone.silentMaster, null, 'none heard at start-up');
});

t.test('prepareToPreempt: a live lower-priority master is replaced only once this node is ready', async (t) => {
  const m = new VrrpMachine({ ...base, prepareToPreempt: true });
  m.start(0);
  t.same(m.receive({ priority: 50, intervalCs: 10, source: LOWER_ADDR }, 200), [], 'the lower master is ignored (preempt)');
  t.same(m.tick(MDI), [{ do: 'prepare' }], 'Master_Down_Timer: prepare, no advert yet');
  t.equal(m.state, 'backup', 'still a backup while preparing');
  t.equal(m.nextDeadline, null, 'no timer while preparing');
  t.same(m.receive({ priority: 50, intervalCs: 10, source: LOWER_ADDR }, MDI + 50), [], 'the old master keeps advertising meanwhile');
  t.same(m.prepared(MDI + 400), [send(100), become('master')], 'ready: advert, then master');
  t.same(m.prepared(MDI + 500), [], 'a second prepared() does nothing');

  const n = new VrrpMachine({ ...base, prepareToPreempt: true });
  n.start(0);
  n.receive({ priority: 50, intervalCs: 10, source: LOWER_ADDR }, 200);
  t.same(n.tick(MDI), [{ do: 'prepare' }]);
  n.receive({ priority: 150, intervalCs: 10, source: HIGHER_ADDR }, MDI + 10);
  t.equal(n.preparing, false, 'a higher-priority master heard while preparing cancels it');
  t.same(n.prepared(MDI + 20), [], 'prepared() after the cancellation: stays backup');
  t.equal(n.state, 'backup');

  const cold = new VrrpMachine({ ...base, prepareToPreempt: true });
  cold.start(0);
  t.same(cold.tick(MDI), [send(100), become('master')], 'no master heard at all: the RFC\'s immediate takeover');
  const resigned = new VrrpMachine({ ...base, prepareToPreempt: true });
  resigned.start(0);
  resigned.receive({ priority: 50, intervalCs: 10, source: LOWER_ADDR }, 100);
  resigned.receive({ priority: 0, intervalCs: 10, source: LOWER_ADDR }, 150);
  t.same(resigned.tick(150 + SKEW), [send(100), become('master')], 'the lower master resigned (priority 0): immediate takeover');
});
