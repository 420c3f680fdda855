// The failover benchmark's pure parts, without a lab: reading a takeover out of captured frames
// (real encodings: engine/cluster's adverts, the responder's gratuitous ARP, engine/packet's TCP),
// and the figures against the targets and keepalived.
import t from 'tap';
import { encodeAdvertFrame } from '../../engine/cluster/vrrp-packet.js';
import { buildFrame, ether, ipBytes, ipv4, ipv6, macBytes, tcp } from '../../engine/packet/index.js';
import { gratuitousArp } from '../../engine/scheduler/responder.js';
import { failedAround, failoverMarkdown, summarizeFailover, type KeepalivedTrial, type LbTrial } from '../../perf/failover-report.js';
import { takeover, wireEvent, wireEvents, type TakeoverQuery } from '../../perf/failover-wire.js';
import { keepalivedConfig } from '../../perf/keepalived.js';

const LB1 = { ip: '198.18.0.11', mac: '02:1b:00:00:00:01' };
const LB2 = { ip: '198.18.0.12', mac: '02:1b:00:00:00:02' };
const LB3 = { ip: '198.18.0.13', mac: '02:1b:00:00:00:03' };
const CLIENT = { ip: '198.18.0.201', ip6: '2001:2::201', mac: '02:0c:00:00:00:01' };
const VIP = { v4: '198.19.0.1', v6: '2001:2:0:100::1' };
const KILL = 1_700_000_000_000_000; // µs

const advert = (from: typeof LB1, vrid = 51) => encodeAdvertFrame({ vrid, priority: 120, intervalCs: 10, addresses: [ipBytes(VIP.v4)] }, macBytes(from.mac), ipBytes(from.ip));
const toVip = (srcMac: string, dstMac: string, v6 = false) => buildFrame(ether(v6 ? ipv6(CLIENT.ip6, VIP.v6, tcp(40000, 80, { flags: 0x10 })) : ipv4(CLIENT.ip, VIP.v4, tcp(40000, 80, { flags: 0x10 })), { src: srcMac, dst: dstMac }));
const probe = (from: typeof LB1, to: typeof LB1) => buildFrame(ether(ipv4(from.ip, VIP.v4, tcp(40001, 80, { flags: 0x02 })), { src: from.mac, dst: to.mac }));
const at = (ms: number) => KILL + ms * 1000;

const query: TakeoverQuery = { killUs: KILL, vrid: 51, killed: LB1.ip, macs: { [LB2.ip]: LB2.mac, [LB3.ip]: LB3.mac }, vip: VIP, clients: [CLIENT.ip, CLIENT.ip6] };

t.test('wireEvent: adverts with their VRID and source, gratuitous ARP, IP frames; others are null', async (t) => {
  t.same(wireEvent(advert(LB2, 52), 5), { kind: 'advert', us: 5, vrid: 52, source: LB2.ip });
  t.same(wireEvent(gratuitousArp(VIP.v4, macBytes(LB2.mac)), 6), { kind: 'garp', us: 6, mac: LB2.mac, ip: VIP.v4 });
  t.same(wireEvent(toVip(LB2.mac, LB3.mac, true), 7), { kind: 'ip', us: 7, srcMac: LB2.mac, src: CLIENT.ip6, dst: VIP.v6 });
  t.equal(wireEvent(new Uint8Array(10), 8), null, 'a runt');
});

t.test('takeover: the new master\'s first advert, GARP and forwarded frame after the kill', async (t) => {
  const events = wireEvents([{
    ...(await import('../../engine/capture/index.js')).packFrames([
      advert(LB1), toVip(LB1.mac, LB2.mac), // before the kill: the old master
      toVip(CLIENT.mac, LB1.mac), // the client still sends to the dead scheduler
      probe(LB2, LB3), // a node's health probe to the VIP: not client traffic
      advert(LB2, 52), // another VRRP router (keepalived) on the segment
      advert(LB2), gratuitousArp(VIP.v4, macBytes(LB2.mac)),
      toVip(LB2.mac, LB3.mac, true),
      toVip(LB2.mac, LB3.mac),
    ]),
    timestamps: Float64Array.from([at(-100), at(-50), at(10), at(20), at(30), at(310.5), at(330), at(335.25), at(340)]),
  }]);
  t.same(takeover(events, query), { master: LB2.ip, advertMs: 310.5, garpMs: 330, forwardedMs: 335.25 });
  t.same(takeover(events, { ...query, vrid: 52 }), { master: LB2.ip, advertMs: 30, garpMs: 330, forwardedMs: 335.25 }, 'by VRID');
  t.same(takeover(events.filter((e) => e.kind !== 'advert' || e.us < KILL), query), { master: null, advertMs: null, garpMs: null, forwardedMs: null }, 'no new master: nothing is attributed');
});

const trial = (o: Partial<LbTrial>): LbTrial => ({
  killed: 'lb1', master: 'lb2', advertMs: 290, garpMs: 360, forwardedMs: 370, masterLogMs: 338, activeLogMs: 365, activationMs: 25,
  streamsOnSurvivors: 33, lost: 0, resetOnKilled: 17, failedRequests: 2, failedInFlight: 1, settled: true, resetBeforeKill: 1, failedBeforeKill: 0, ...o,
});
const ka = (garpMs: number | null): KeepalivedTrial => ({ killed: 'lb1', master: 'lb2', advertMs: garpMs, garpMs });

t.test('failedAround: failures since the earlier sample, split at the kill by when each request started', async (t) => {
  const atKill = { failedAt: [1.5] }; // one failure before the window: not counted
  const end = { failedAt: [1.5, 9.995, 10.0, 10.25, 10.61], epochMs: 1_000_000 }; // the driver started at 1 000 000 ms
  t.same(failedAround(atKill, end, 1_010_000), { inFlight: 1, after: 3, spanS: [0, 0.6] }, 'started 5 ms before the kill: in flight; at or after it: counted, 0–0.6 s after');
  t.same(failedAround(end, end, 1_010_000), { inFlight: 0, after: 0, spanS: null }, 'none since the earlier sample');
});

t.test('summary: median and max against the targets, the ratio against keepalived, lost connections', async (t) => {
  const s = summarizeFailover([trial({ forwardedMs: 300 }), trial({ forwardedMs: 340 }), trial({ forwardedMs: 480, lost: 1 })], [ka(350), ka(360), ka(400)]);
  t.match(s, { trials: 3, unseen: 0, forwardedMs: { min: 300, median: 340, max: 480 }, lost: { connections: 1, streamsOnSurvivors: 99, resetOnKilled: 51, failedRequests: 6, failedInFlight: 3, resetBeforeKill: 3, failedBeforeKill: 0 } });
  t.same(s.met, { median: true, max: true, lost: false });
  t.equal(s.ratioVsKeepalived, 340 / 360);
  t.equal(s.garpRatioVsKeepalived, 1);
  t.same(s.advertToForwardMs, { min: 10, median: 50, max: 190 });
  const slow = summarizeFailover([trial({ forwardedMs: 300 }), trial({ forwardedMs: null })], null);
  t.same(slow.met, { median: false, max: false, lost: true }, 'a trial with nothing forwarded fails the max; with half the trials unseen the median is unknown: not met');
  t.equal(slow.ratioVsKeepalived, null, 'no baseline, no ratio');
  t.same(summarizeFailover([trial({ forwardedMs: 400 })], null).met.median, false);
});

t.test('markdown: the figures, the verdicts and one row per trial', async (t) => {
  const lb = [trial({ forwardedMs: 320 }), trial({ forwardedMs: 610, lost: 2 })];
  const md = failoverMarkdown(summarizeFailover(lb, [ka(355), ka(null)]), lb, [ka(355), ka(null)], ['a note'], 'cpu X');
  t.match(md, /\| lbarray: first client frame forwarded by the new scheduler \(over the 2 of 2 trials where it was seen\) \| 320 \/ \*\*465\*\* \/ 610 \| median ≤ 350 \(\*\*not met\*\*\), max ≤ 500 \(\*\*not met\*\*\) \|/);
  t.match(md, /1 keepalived.*1 with no gratuitous ARP seen|2 keepalived \(1 with no gratuitous ARP seen\)/);
  t.match(md, /counts each time\): \*\*2\*\* \(target 0: \*\*not met\*\*\)/);
  t.match(md, /\| 2 \| lb1 \| lb2 \| 290 \| 360 \| 610 \| 2 \| 2 \(1\) \| yes \| – \|/);
  t.match(md, /- a note\n\nMachine: cpu X\./);
});

t.test('keepalived config: VRRPv3, no preemption, the interval in seconds, the host\'s priority', async (t) => {
  const conf = keepalivedConfig({ vrid: 52, address: '198.18.0.250', advertIntervalMs: 100, priorities: { lb1: 150, lb2: 120 }, iface: 'eth0' }, 'lb2', '/tmp/n.sh');
  for (const line of ['vrrp_version 3', 'nopreempt', 'state BACKUP', 'virtual_router_id 52', 'priority 120', 'advert_int 0.1', '198.18.0.250/32', 'notify /tmp/n.sh', 'interface eth0']) {
    t.ok(conf.includes(line), line);
  }
});
