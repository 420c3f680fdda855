// VRRPv3 adverts: what we send is what RFC 5798 §5 says (tshark agrees field by field), and every
// malformed advert is refused with a reason instead of a throw.
import t from 'tap';
import { ipBytes, ipText } from '../../engine/packet/index.js';
import { decodeAdvertFrame, encodeAdvertFrame, type Advert } from '../../engine/cluster/vrrp-packet.js';
import { tsharkFields } from './fixtures/tshark.js';

const MAC = Uint8Array.from([0x02, 0x1b, 0, 0, 0, 1]);
const v4: Advert = { vrid: 51, priority: 150, intervalCs: 10, addresses: [ipBytes('198.19.0.1')] };
const v6: Advert = { vrid: 7, priority: 254, intervalCs: 4095, addresses: [ipBytes('2001:2:0:100::1'), ipBytes('2001:2::2')] };
const frame4 = encodeAdvertFrame(v4, MAC, ipBytes('198.18.0.11'));
const frame6 = encodeAdvertFrame(v6, MAC, ipBytes('2001:2::11'));

t.test('tshark decodes our frames as VRRP v3 adverts with the fields we set', async (t) => {
  const [a, b] = tsharkFields([frame4, frame6], ['eth.dst', 'ip.dst', 'ipv6.dst', 'ip.ttl', 'ipv6.hlim', 'ip.proto', 'ipv6.nxt', 'ip.checksum.status',
    'vrrp.version', 'vrrp.type', 'vrrp.virt_rtr_id', 'vrrp.prio', 'vrrp.addr_count', 'vrrp.short_adver_int', 'vrrp.checksum.status', 'vrrp.ip_addr', 'vrrp.ipv6_addr']);
  t.same(a, ['01:00:5e:00:00:12', '224.0.0.18', '', '255', '', '112', '', '1', '3', '1', '51', '150', '1', '10', '1', '198.19.0.1', '']);
  t.same(b, ['33:33:00:00:00:12', '', 'ff02::12', '', '255', '', '112', '', '3', '1', '7', '254', '2', '4095', '1', '', '2001:2:0:100::1,2001:2::2']);
});

t.test('decode gives back what encode wrote', async (t) => {
  for (const [name, frame, advert, source, fam] of [['IPv4', frame4, v4, '198.18.0.11', false], ['IPv6', frame6, v6, '2001:2::11', true]] as const) {
    const r = decodeAdvertFrame(frame);
    if (!r.ok) { t.fail(`${name}: ${r.reason}`); continue; }
    t.same({ ...r.advert, addresses: r.advert.addresses.map((a) => ipText(a)), source: ipText(r.advert.source) },
      { ...advert, addresses: advert.addresses.map((a) => ipText(a)), source, v6: fam }, name);
  }
});

// Each case changes one thing in a good frame and names the reason it must give.
const IP = 14;
const V4_VRRP = IP + 20;
const V6_VRRP = IP + 40;
const edit = (f: Uint8Array, fn: (c: Uint8Array) => void): Uint8Array => { const c = f.slice(); fn(c); return c; };
const cases: Array<{ name: string; frame: Uint8Array; reason: string }> = [
  { name: 'an ARP frame is not VRRP', frame: edit(frame4, (c) => { c[12] = 0x08; c[13] = 0x06; }), reason: 'not_vrrp' },
  { name: 'another IP protocol is not VRRP', frame: edit(frame4, (c) => { c[IP + 9] = 17; }), reason: 'not_vrrp' },
  { name: 'protocol 112 to a unicast address is not an advert to the group', frame: edit(frame4, (c) => { c[IP + 16] = 198; }), reason: 'not_vrrp' },
  { name: 'a frame cut inside the IP header', frame: frame4.slice(0, IP + 10), reason: 'truncated' },
  { name: 'a frame shorter than the IP length', frame: frame4.slice(0, frame4.length - 1), reason: 'truncated' },
  { name: 'IP version 5 behind the IPv4 ethertype', frame: edit(frame4, (c) => { c[IP] = 0x55; }), reason: 'bad_ip' },
  { name: 'an IPv4 header length under 20 bytes', frame: edit(frame4, (c) => { c[IP] = 0x44; }), reason: 'bad_ip' },
  { name: 'a fragment of another protocol is not VRRP', frame: edit(frame4, (c) => { c[IP + 6] = 0x20; c[IP + 9] = 17; }), reason: 'not_vrrp' },
  { name: 'an IPv4 fragment', frame: edit(frame4, (c) => { c[IP + 6] = 0x20; }), reason: 'fragment' },
  { name: 'VRRP version 2', frame: edit(frame4, (c) => { c[V4_VRRP] = 0x21; }), reason: 'bad_version' },
  { name: 'message type 2 (no such type)', frame: edit(frame4, (c) => { c[V4_VRRP] = 0x32; }), reason: 'bad_type' },
  { name: 'TTL 254: came through a router', frame: edit(frame4, (c) => { c[IP + 8] = 254; }), reason: 'bad_ttl' },
  { name: 'hop limit 64', frame: edit(frame6, (c) => { c[IP + 7] = 64; }), reason: 'bad_ttl' },
  { name: 'count says 3 addresses, the packet holds 1', frame: edit(frame4, (c) => { c[V4_VRRP + 3] = 3; }), reason: 'bad_length' },
  { name: 'a flipped priority bit (IPv4 checksum)', frame: edit(frame4, (c) => { c[V4_VRRP + 2] ^= 1; }), reason: 'bad_checksum' },
  { name: 'a different source address (the IPv6 pseudo-header is covered)', frame: edit(frame6, (c) => { c[IP + 23] ^= 1; }), reason: 'bad_checksum' },
  { name: 'the message less than 8 bytes long', frame: edit(frame4.slice(0, V4_VRRP + 4), (c) => { c[IP + 3] = 24; }), reason: 'truncated' },
  { name: 'an empty frame', frame: new Uint8Array(0), reason: 'not_vrrp' },
];

t.test('a bad advert gives its reason', async (t) => {
  for (const c of cases) {
    let r;
    try {
      r = decodeAdvertFrame(c.frame);
    } catch (e) {
      t.fail(`${c.name}: threw ${String(e)}`);
      continue;
    }
    t.same(r, { ok: false, reason: c.reason }, c.name);
  }
});

t.test('a zero interval is refused (a master that never advertises cannot be timed)', async (t) => {
  const zero = encodeAdvertFrame({ ...v4, intervalCs: 0 }, MAC, ipBytes('198.18.0.11'));
  t.same(decodeAdvertFrame(zero), { ok: false, reason: 'bad_interval' });
});

t.test('random bytes never throw', async (t) => {
  let seed = 7;
  const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff;
  for (let i = 0; i < 2000; i++) {
    const f = edit(i % 2 ? frame4 : frame6, (c) => { for (let k = 0; k < 3; k++) c[rand() % c.length] = rand(); });
    const r = decodeAdvertFrame(f.slice(0, 14 + (rand() * 7) % (f.length - 13)));
    if (typeof r.ok !== 'boolean') t.fail('no verdict');
  }
  t.pass('2000 mangled frames decoded without a throw');
});

t.test('addresses print the usual way', async (t) => {
  for (const a of ['198.18.0.11', '2001:2::11', '::1', 'ff02::12', '2001:2:0:100::1', '2001:db8:1:2:3:4:5:6', '::', '1::']) {
    t.equal(ipText(ipBytes(a)), a);
  }
});
