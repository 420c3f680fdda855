// Client address access lists: the matching rules, and real connections reset before any TLS or
// HTTP work (curl from two loopback addresses, plain and TLS).
import t from 'tap';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { L7Node } from '../../engine/l7/workers.js';
import { startBackend } from './fixtures/backends.js';
import { makeCertDir } from './fixtures/certs.js';
import { parsePrefix } from '../../engine/config/address.js';
import { AccessList } from '../../engine/l7/access-list.js';

const exec = promisify(execFile);

t.test('prefixes: addresses and CIDRs of both families; anything else is refused', async (t) => {
  t.same(parsePrefix('198.18.0.0/15'), { address: '198.18.0.0', family: 'ipv4', bits: 15 });
  t.same(parsePrefix('2001:2::/48'), { address: '2001:2::', family: 'ipv6', bits: 48 });
  t.same(parsePrefix('198.18.0.7'), { address: '198.18.0.7', family: 'ipv4', bits: 32 });
  for (const bad of ['198.18.0.0/33', '2001:2::/129', 'example.com', '198.18.0.0/', '198.18.0.0/1x', '']) t.equal(parsePrefix(bad), undefined, bad);
  t.throws(() => new AccessList({ deny: ['198.18.0.0/99'] }), { code: 'ERR_L7_ACCESS_LIST', message: 'The deny list entry "198.18.0.0/99" is not an IP address or CIDR prefix.' });
});

t.test('deny wins over allow; an empty allow list allows all; IPv4-mapped addresses match as IPv4', async (t) => {
  const open = new AccessList({});
  t.ok(open.admits('198.18.5.5') && open.admits('2001:2::1'));
  const deny = new AccessList({ deny: ['198.18.5.0/24', '2001:2:0:9::/64'] });
  t.notOk(deny.admits('198.18.5.200'));
  t.notOk(deny.admits('::ffff:198.18.5.200'), 'a dual-stack socket\'s IPv4 client');
  t.notOk(deny.admits('2001:2:0:9::77'));
  t.ok(deny.admits('198.18.6.1'));
  t.ok(deny.admits('2001:2:0:a::1'));
  const both = new AccessList({ allow: ['198.18.0.0/15'], deny: ['198.18.7.7'] });
  t.ok(both.admits('198.19.255.1'), 'inside the allow list');
  t.notOk(both.admits('198.18.7.7'), 'denied inside the allowed prefix');
  t.notOk(both.admits('127.0.0.1'), 'outside a non-empty allow list');
  t.notOk(both.admits('2001:2::1'), 'the other family is outside the allow list too');
  t.notOk(both.admits(undefined), 'no address (a socket already gone): not served');
});

t.test('a denied client is reset when accepted, on plain and TLS listeners alike, and counted; the others are served', async (t) => {
  const be = await startBackend('be');
  const certs = makeCertDir();
  const cert = certs.make(['a.test']);
  const node = await L7Node.start({
    workers: 1, access: { deny: ['127.0.0.2/32', '2001:2::/48'] },
    services: [
      { name: 'web', host: '0.0.0.0', port: 0, defaultPool: 'p' },
      { name: 'tls', host: '0.0.0.0', port: 0, defaultPool: 'p', tls: { certificates: [{ cert: cert.cert, key: cert.key }] } },
    ],
    pools: [{ name: 'p', servers: [{ id: 'be', host: '127.0.0.1', port: be.port }] }],
  });
  t.teardown(async () => { await node.stop(); await be.close(); certs.cleanup(); });
  const curl = (from: string, url: string) => exec('curl', ['-sk', '-o', '/dev/null', '-w', '%{http_code}', '--interface', from, url])
    .then((r) => r.stdout, (e: { code: number }) => `exit ${e.code}`);
  const web = `http://127.0.0.1:${node.ports.web}/`;
  const secure = `https://127.0.0.1:${node.ports.tls}/`;
  t.equal(await curl('127.0.0.1', web), '200', 'an allowed client, plain');
  t.equal(await curl('127.0.0.1', secure), '200', 'an allowed client, TLS');
  // curl's exit for a reset: 56 (receive), 55 (send), 35 (TLS), or 7 when it came before curl saw the connection up.
  const reset = /^exit (7|35|55|56)$/;
  t.match(await curl('127.0.0.2', web), reset, 'a denied client: connection reset, plain');
  t.match(await curl('127.0.0.2', secure), reset, 'and before the TLS handshake');
  t.equal(be.requests, 2, 'the back-end saw only the allowed requests');
  const [delta] = await node.takeMetrics();
  t.equal(delta.denied, 2, 'two connections denied');
  t.same(delta.tls, { full: 1, resumed: 0, failed: 0 }, 'a denied TLS client is not a failed handshake');
});
