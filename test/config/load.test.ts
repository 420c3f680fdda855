// Good configs: the examples validate, defaults are filled in, units and paths resolved, the
// result is frozen; file-level checks (certificates, keys, CA, token file) with real files.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { stringify } from 'yaml';
import {
  adminEndpoint, ConfigError, isPrime, loadConfig, nodeById, parseConfig, parseDuration, parseSize, validateConfig,
  vipAddresses, type Config,
} from '../../engine/config/index.js';

const examples = path.resolve(import.meta.dirname, '../../examples');

function get(o: unknown, p: string): unknown {
  return p.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown>)?.[k], o);
}

t.test('every example config validates', async (t) => {
  const files = fs.readdirSync(examples).filter((f) => /\.(ya?ml|json)$/.test(f));
  t.ok(files.includes('lab.yaml') && files.includes('minimal.yaml'));
  for (const f of files) t.doesNotThrow(() => loadConfig(path.join(examples, f)), f);
});

t.test('defaults are filled in (minimal.yaml)', async (t) => {
  const c = loadConfig(path.join(examples, 'minimal.yaml'));
  const expected: Array<[string, unknown]> = [
    ['version', 1],
    ['name', 'lbarray'],
    ['services.0.protocol', 'http'],
    ['nodes.0.priority', 100],
    ['nodes.0.weight', 1],
    ['scheduler.maglevTableSize', 65537],
    ['scheduler.flowTableCapacity', 1048576],
    ['scheduler.flowIdleTimeout', 300_000],
    ['scheduler.ring.blockSize', 1048576],
    ['scheduler.ring.frameSize', 2048],
    ['scheduler.ring.rxMode', 'blocks'],
    ['scheduler.workers', 1],
    ['proxy.workers', 'auto'],
    ['proxy.maxHeaderBytes', 16384],
    ['pools.app.policy', { type: 'roundrobin' }],
    ['pools.app.persistence', 'none'],
    ['pools.app.tls', false],
    ['pools.app.healthCheck', { path: '/', status: [200], interval: 2000, timeout: 1000, rise: 2, fall: 3 }],
    ['routes.0.match', {}],
    ['routes.0.policy', { type: 'roundrobin' }],
    ['persistence.cookie.name', 'LBSERVER'],
    ['persistence.sessionIds.names', ['JSESSIONID', 'PHPSESSID', 'ASP.NET_SessionId']],
    ['persistence.hashGroups', 4096],
    ['healthChecks.nodes.interval', 100],
    ['election', { vrid: 51, advertInterval: 100, preempt: true, nice: 0 }],
    ['admin.port', 9180],
    ['logging', { level: 'info', format: 'auto' }],
  ];
  for (const [p, v] of expected) t.same(get(c, p), v, p);
});

t.test('lab.yaml as understood: policies, merged checks, units, absolute paths', async (t) => {
  const c = loadConfig(path.join(examples, 'lab.yaml'));
  t.same(c.routes.map((r) => r.policy), [
    { type: 'hash', by: 'url', includeQuery: true },
    { type: 'leastconn' },
    { type: 'hash', by: 'url', includeQuery: false },
    { type: 'weighted' },
  ], 'a route without a policy takes its pool\'s');
  t.same(c.pools.app.healthCheck, { path: '/healthz', status: [200, 204], interval: 500, timeout: 300, rise: 2, fall: 2 },
    'a pool overrides only the fields it names');
  t.equal(c.routes[3].cdn?.cache.maxBytes, 32 * 2 ** 20);
  t.same(c.routes[3].cdn?.include.extensions.slice(0, 2), ['.css', '.js']);
  t.equal(c.services[1].tls?.certificates[0].cert, path.join(examples, 'certs/lab.pem'));
  t.same(c.services[1].tls?.certificates[0].names, ['www.lab.test', '*.lab.test']);
  t.same(vipAddresses(c), ['198.19.0.1', '2001:2:0:100::1']);
  t.equal(nodeById(c, 'lb2').priority, 120);
  t.throws(() => nodeById(c, 'lb9'), { code: 'ERR_NO_SUCH_NODE', message: /lb1, lb2, lb3/ });
  t.same(adminEndpoint(c, c.nodes[0]), { address: '198.18.0.11', port: 9180, url: 'http://198.18.0.11:9180' });
  t.equal(adminEndpoint(c, { ...c.nodes[0], ipv4: undefined }).url, 'http://[2001:2::11]:9180');
  t.throws(() => { (c.nodes as unknown as unknown[]).push({}); }, TypeError, 'the config is frozen');
  t.throws(() => { (c.pools.app as { policy: unknown }).policy = 'x'; }, TypeError, 'deeply');
});

t.test('the same config in JSON gives the same result', async (t) => {
  const yamlConfig = loadConfig(path.join(examples, 'lab.yaml'));
  const { parse } = await import('yaml');
  const json = JSON.stringify(parse(fs.readFileSync(path.join(examples, 'lab.yaml'), 'utf8')), null, 2);
  t.same(parseConfig(json, { baseDir: examples }), yamlConfig);
});

t.test('loadConfig errors', async (t) => {
  t.throws(() => loadConfig('/nonexistent/lbarray.yaml'), { code: 'ERR_CONFIG_READ', message: /ENOENT/ });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lbarray-config-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'bad.yaml');
  fs.writeFileSync(file, 'vip:\n  ipv4: 1.2.3\nservices: []\n');
  let err: unknown;
  try { loadConfig(file); } catch (e) { err = e; }
  t.ok(err instanceof ConfigError, 'a ConfigError');
  const ce = err as ConfigError;
  t.equal(ce.code, 'ERR_CONFIG');
  t.equal(ce.file, file);
  t.ok(ce.issues.length >= 5, 'every problem is listed');
  t.equal(ce.message, `config ${file} has 5 errors:
  nodes (line 1): required
  pools (line 1): required
  routes (line 1): required
  vip.ipv4 (line 2): expected an IPv4 address
  services (line 3): expected at least one service`);
});

// A config whose only interesting part is the files it names, in a temporary directory.
function withFiles(t: Tap.Test, files: Record<string, string>, extra: string, tlsExtra = '') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lbarray-files-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  const text = `vip: { ipv4: 198.19.0.1 }
services:
  - { name: web, port: 80 }
  - name: tls
    port: 443
    protocol: https
    tls:
      certificates:
        - { cert: cert.pem, key: key.pem }
${tlsExtra}
nodes:
  - { id: lb1, interface: eth0, ipv4: 198.18.0.11 }
pools:
  app:
    servers: [{ address: 198.18.0.101, port: 8080 }]
${extra}
routes:
  - pool: app
`;
  fs.writeFileSync(path.join(dir, 'array.yaml'), text);
  return { dir, result: validateConfig(text, { baseDir: dir }) };
}

declare namespace Tap { type Test = Parameters<Parameters<typeof t.test>[1]>[0] }

const labCert = fs.readFileSync(path.join(examples, 'certs/lab.pem'), 'utf8');
const labKey = fs.readFileSync(path.join(examples, 'certs/lab.key'), 'utf8');
const staticKey = fs.readFileSync(path.join(examples, 'certs/static.key'), 'utf8');

const fileCases: Array<{ name: string; files: Record<string, string>; extra?: string; tls?: string; path?: string; message?: RegExp }> = [
  { name: 'a matching certificate and key pass', files: { 'cert.pem': labCert, 'key.pem': labKey } },
  { name: 'a missing certificate file', files: { 'key.pem': labKey }, path: 'services[1].tls.certificates[0].cert', message: /cannot read certificate .*cert\.pem \(ENOENT\)/ },
  { name: 'a key that is not the certificate\'s', files: { 'cert.pem': labCert, 'key.pem': staticKey }, path: 'services[1].tls.certificates[0].key', message: /does not match the certificate/ },
  { name: 'a certificate file with no PEM in it', files: { 'cert.pem': 'hello\n', 'key.pem': labKey }, path: 'services[1].tls.certificates[0].cert', message: /holds no PEM certificate/ },
  { name: 'a key file with no key in it', files: { 'cert.pem': labCert, 'key.pem': labCert }, path: 'services[1].tls.certificates[0].key', message: /holds no PEM private key/ },
  { name: 'a CA bundle that is missing', files: { 'cert.pem': labCert, 'key.pem': labKey }, extra: '    tls: { ca: nope.pem }', path: 'pools.app.tls.ca', message: /cannot read CA bundle/ },
  { name: 'a token file that is too short', files: { 'cert.pem': labCert, 'key.pem': labKey, token: 'abc\n' }, extra: 'admin: { tokenFile: token }', path: 'admin.tokenFile', message: /fewer than 8/ },
  { name: 'a ticket key file of 48 bytes passes', files: { 'cert.pem': labCert, 'key.pem': labKey, 'ticket.key': 'k'.repeat(48) }, tls: '      ticketKeyFile: ticket.key' },
  { name: 'a ticket key file of another size', files: { 'cert.pem': labCert, 'key.pem': labKey, 'ticket.key': 'k'.repeat(80) }, tls: '      ticketKeyFile: ticket.key', path: 'services[1].tls.ticketKeyFile', message: /ticket\.key holds 80 bytes: expected 48 \(openssl rand 48\)/ },
  { name: 'a missing ticket key file', files: { 'cert.pem': labCert, 'key.pem': labKey }, tls: '      ticketKeyFile: ticket.key', path: 'services[1].tls.ticketKeyFile', message: /cannot read ticket key file .*ticket\.key \(ENOENT\)/ },
  { name: 'token and tokenFile together', files: { 'cert.pem': labCert, 'key.pem': labKey, token: 'long-enough-token\n' }, extra: 'admin: { tokenFile: token, token: another-token }', path: 'admin.token', message: /not both/ },
];

for (const c of fileCases) {
  t.test(`files: ${c.name}`, async (t) => {
    const { result } = withFiles(t, c.files, c.extra ?? '', c.tls ?? '');
    if (!c.path) { t.equal(result.ok, true, JSON.stringify(result)); return; }
    t.equal(result.ok, false);
    if (!result.ok) t.match(result.issues, [{ path: c.path, line: Number, message: c.message }]);
  });
}

t.test('a token file is read and trimmed', async (t) => {
  const { result } = withFiles(t, { 'cert.pem': labCert, 'key.pem': labKey, token: '  long-enough-token\n' }, 'admin: { tokenFile: token }');
  t.equal(result.ok && result.config.admin.token, 'long-enough-token');
});

t.test('checkFiles: false skips reading files', async (t) => {
  const text = fs.readFileSync(path.join(examples, 'lab.yaml'), 'utf8');
  t.equal(validateConfig(text, { baseDir: '/nonexistent', checkFiles: false }).ok, true);
  t.equal(validateConfig(text, { baseDir: '/nonexistent' }).ok, false);
});

t.test('units', async (t) => {
  const durations: Array<[string | number, number]> = [
    ['250ms', 250], ['2s', 2000], ['1.5s', 1500], ['2m', 120_000], ['1h', 3_600_000], [' 10 ms ', 10], [0, 0], [42, 42],
    ['fast', NaN], ['-1s', NaN], ['1d', NaN], [1.5, NaN], [-3, NaN],
  ];
  for (const [v, ms] of durations) t.ok(Object.is(parseDuration(v), ms), `duration ${JSON.stringify(v)} is ${ms}`);
  const sizes: Array<[string | number, number]> = [
    ['64MiB', 64 * 2 ** 20], ['1GB', 1e9], ['16KiB', 16384], ['4096', 4096], ['1.5kb', 1500], [2048, 2048], ['2 gib', 2 * 2 ** 30],
    ['12 bananas', NaN], ['-1', NaN], [0.5, NaN],
  ];
  for (const [v, b] of sizes) t.ok(Object.is(parseSize(v), b), `size ${JSON.stringify(v)} is ${b}`);
});

t.test('isPrime', async (t) => {
  const cases: Array<[number, boolean]> = [[2, true], [3, true], [4, false], [65537, true], [65536, false], [655373, true], [1, false], [0, false], [65539, true], [65541, false]];
  for (const [n, p] of cases) t.equal(isPrime(n), p, String(n));
});

t.test('config written back to YAML round-trips (the parsed form is a valid input)', async (t) => {
  const c: Config = loadConfig(path.join(examples, 'minimal.yaml'));
  const again = parseConfig(stringify({ ...c, routes: c.routes.map((r) => ({ ...r, policy: undefined })), pools: { app: { servers: c.pools.app.servers } } }));
  t.same(again.pools.app.servers, c.pools.app.servers);
});
