// Issue 2's proof: real TCP crosses a middle namespace only through the addon. Hosts a and b are
// joined by two veth pairs through mid; mid has no addresses, no IPv6 and no IP forwarding, so its
// kernel moves nothing. Two addon forwarders (perf/forward-addon.ts, one per direction: RX ring →
// MAC rewrite → TX) carry 10 MB each way, over IPv4 and IPv6, once with the partial checksums
// completed in C++ and once carried to the kernel in a virtio-net header, and the bytes arrive
// intact (sha256). Every namespace goes away afterwards, also on failure.
import t from 'tap';
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { forwardingChain, labUp, type NsProcess } from '../../engine/lab/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MB10 = 10 * 1024 * 1024;

// b's HTTP server: GET /blob sends 10 random MB (hash printed at start), POST /upload answers
// with the byte count and sha256 of what arrived.
const serverCode = `
  const http = require('node:http');
  const crypto = require('node:crypto');
  const blob = crypto.randomBytes(${MB10});
  const sha = crypto.createHash('sha256').update(blob).digest('hex');
  http.createServer((req, res) => {
    if (req.url === '/blob') { res.setHeader('content-length', blob.length); res.end(blob); return; }
    if (req.url === '/upload') {
      const h = crypto.createHash('sha256'); let n = 0;
      req.on('data', (c) => { h.update(c); n += c.length; });
      req.on('end', () => res.end(JSON.stringify({ bytes: n, sha256: h.digest('hex') })));
      return;
    }
    res.end('pong');
  }).listen(8080, '::', () => console.log('listening ' + sha));
`;

const sha256 = (data: Buffer): string => crypto.createHash('sha256').update(data).digest('hex');
const stats = (p: NsProcess): Record<string, number> => JSON.parse(p.output.trim().split('\n').at(-1)!);

const lab = await labUp(forwardingChain());
t.teardown(() => lab.down()); // runs on failure too; lab.test.ts proves down leaves nothing
const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'lbarray-fwd-'));
t.teardown(() => fs.rm(tmp, { recursive: true, force: true }));

const a = lab.host('a');
const b = lab.host('b');
const [midA, midB] = lab.host('mid').interfaces;
// a and b address each other's IPs to mid's MACs: the only way across is through mid.
await Promise.all([
  lab.setNeighbour('a', b.v4!, midA!.mac),
  lab.setNeighbour('a', b.v6!, midA!.mac),
  lab.setNeighbour('b', a.v4!, midB!.mac),
  lab.setNeighbour('b', a.v6!, midB!.mac),
]);
const server = lab.spawn('b', [process.execPath, '-e', serverCode]);
t.teardown(() => server.stop());
const blobSha = (await server.waitFor(/listening ([0-9a-f]{64})/, 20_000))[1]!;
const url = (address: string, p: string): string => `http://${address.includes(':') ? `[${address}]` : address}:8080${p}`;
const curl = (args: string[]) => lab.exec('a', ['curl', '-sS', '--fail', ...args], { timeoutMs: 60_000 });

t.test('without a forwarder nothing crosses mid: its kernel does not forward', async (t) => {
  await t.rejects(curl(['--max-time', '2', url(b.v4!, '/ping')]), { code: 'ERR_LAB_COMMAND_FAILED' });
  const forwarding = (await lab.exec('mid', ['sysctl', '-n', 'net.ipv4.ip_forward'])).stdout.trim();
  t.equal(forwarding, '0');
  const addrs = JSON.parse((await lab.exec('mid', ['ip', '-j', 'addr', 'show'])).stdout) as { ifname: string; addr_info: unknown[] }[];
  t.same(addrs.filter((i) => i.ifname !== 'lo').flatMap((i) => i.addr_info), [], 'mid has no addresses on eth0 or eth1');
});

// Both ways of finishing the partial checksums the kernel leaves on locally sent TCP frames.
const modes = [
  { name: 'checksums completed in C++', vnetHdr: 'off', completedInCpp: true },
  { name: 'checksums carried to the kernel in a virtio-net header', vnetHdr: 'on', completedInCpp: false },
];

for (const mode of modes) {
  t.test(`through the addon forwarders (${mode.name}), 10 MB each way arrive intact over IPv4 and IPv6`, async (t) => {
    const forwarder = (from: string, to: string, dst: string): NsProcess =>
      lab.spawn('mid', [process.execPath, '--import', 'tsx', path.join(root, 'perf/forward-addon.ts'),
        '--in', from, '--out', to, '--dst', dst, '--vnet-hdr', mode.vnetHdr], { cwd: root });
    const toB = forwarder('eth0', 'eth1', b.mac);
    const toA = forwarder('eth1', 'eth0', a.mac);
    t.teardown(() => Promise.all([toB.stop(), toA.stop()]));
    await Promise.all([toB.waitFor(/"ready":true/, 20_000), toA.waitFor(/"ready":true/, 20_000)]);
    const csumErrorsBefore = await Promise.all(['a', 'b'].map(tcpInCsumErrors));
    t.equal((await curl(['--max-time', '5', url(b.v4!, '/ping')])).stdout, 'pong', 'a reaches b through mid');

    for (const address of [b.v4!, b.v6!]) {
      const file = path.join(tmp, 'download');
      await curl(['--max-time', '60', '-o', file, url(address, '/blob')]);
      const got = await fs.readFile(file);
      t.equal(got.length, MB10, `download over ${address}: 10 MB`);
      t.equal(sha256(got), blobSha, `download over ${address}: sha256 matches`);
    }
    const upload = crypto.randomBytes(MB10);
    const uploadFile = path.join(tmp, 'upload');
    await fs.writeFile(uploadFile, upload);
    for (const address of [b.v6!, b.v4!]) {
      const reply = JSON.parse((await curl(['--max-time', '60', '--data-binary', `@${uploadFile}`, '-H', 'content-type: application/octet-stream', url(address, '/upload')])).stdout);
      t.same(reply, { bytes: MB10, sha256: sha256(upload) }, `upload over ${address}: b received the same 10 MB`);
    }

    await Promise.all([toB.stop(), toA.stop()]);
    const sB = stats(toB);
    const sA = stats(toA);
    // Each direction carried 20 MB of payload in ≤1500-byte frames (plus the other side's ACKs).
    const minFrames = (2 * MB10) / 1500;
    t.ok(sB.forwarded > minFrames && sA.forwarded > minFrames, `frames forwarded a→b ${sB.forwarded}, b→a ${sA.forwarded}`);
    if (mode.completedInCpp) {
      t.ok(sB.checksumsCompleted > 0 && sA.checksumsCompleted > 0, `partial checksums completed in C++: a→b ${sB.checksumsCompleted}, b→a ${sA.checksumsCompleted}`);
    }
    t.equal(sB.dropped + sA.dropped, 0, 'the forwarders dropped nothing');
    t.type(sB.rxDrops, 'number', `ring drops reported (a→b ${sB.rxDrops}, b→a ${sA.rxDrops})`);
    const csumErrorsAfter = await Promise.all(['a', 'b'].map(tcpInCsumErrors));
    t.same(csumErrorsAfter, csumErrorsBefore, 'a and b saw no TCP checksum errors');
  });
}

async function tcpInCsumErrors(host: string): Promise<number> {
  const [names, counts] = (await lab.exec(host, ['cat', '/proc/net/snmp'])).stdout.split('\n').filter((l) => l.startsWith('Tcp:')).map((l) => l.split(/\s+/));
  return Number(counts![names!.indexOf('InCsumErrors')]);
}
