// scheduler.ring as the config takes it is what the ring opens: every size the schema accepts
// passes the ring's own argument checks (engine/ring/port.ts), so a config that passes
// lbarray check never meets a forwarding ring that refuses it. (The schema may refuse more:
// frames over 64KiB.)
// The port is opened on an interface this host does not have, so the ring's checks run and the
// native open then fails on the interface, before any memory is mapped.
import t from 'tap';
import { validateConfig } from '../../engine/config/index.js';
import { PacketPort } from '../../engine/ring/port.js';

const BASE = `vip: { ipv4: 198.19.0.1 }
services: [{ name: web, port: 80 }]
nodes: [{ id: lb1, interface: eth0, ipv4: 198.18.0.11 }]
pools: { app: { servers: [{ address: 198.18.0.101, port: 8080 }] } }
routes: [{ pool: app }]
`;

function configAccepts(ring: { blockSize: number; frameSize: number }): boolean {
  return validateConfig(`${BASE}scheduler: { ring: { blockSize: ${ring.blockSize}, frameSize: ${ring.frameSize} } }\n`).ok;
}

function ringAccepts(ring: { blockSize: number; frameSize: number }): boolean {
  try {
    PacketPort.open({ interface: 'lbnosuch0', blockCount: 2, ...ring }).close();
    return true;
  } catch (e) {
    if ((e as { code?: string }).code === 'ERR_INVALID_ARG') return false;
    if ((e as { code?: string }).code === 'ERR_NO_SUCH_INTERFACE') return true;
    throw e;
  }
}

const KiB = 1024;
const cases = [
  ...[4 * KiB, 8 * KiB, 48 * KiB, 64 * KiB, 96 * KiB, 192 * KiB, 1024 * KiB, 1 << 30, 2 ** 31].map((blockSize) => ({ blockSize, frameSize: 2048 })),
  ...[64, 128, 144, 2048, 2064, 3072, 65536, 131072].map((frameSize) => ({ blockSize: 1024 * KiB, frameSize })),
];

t.test('every ring size the config accepts, the ring opens', async (t) => {
  const accepted = cases.filter(configAccepts);
  for (const ring of accepted) t.ok(ringAccepts(ring), `blockSize ${ring.blockSize}, frameSize ${ring.frameSize}`);
  t.same(accepted.map((r) => [r.blockSize, r.frameSize]),
    [[64 * KiB, 2048], [1024 * KiB, 2048], [1 << 30, 2048], [1024 * KiB, 128], [1024 * KiB, 2048], [1024 * KiB, 65536]], 'the config accepts these');
  t.ok(cases.some((r) => !ringAccepts(r)), 'sizes the ring refuses are tried');
});
