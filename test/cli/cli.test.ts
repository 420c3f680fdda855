// The real `lbarray` command in a child process: output and exit codes an operator and scripts
// rely on (0 success, 1 failure with every error listed, 2 not implemented yet), no stack traces.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { missingCapabilities } from '../../engine/cli/preflight.js';
import { examples, lbarray, root, runNode } from './fixtures/run-cli.js';

t.test('check prints the array as understood and exits 0', async (t) => {
  const r = await lbarray(['check', '--config', path.join(examples, 'lab.yaml')]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /lab\.yaml: valid/);
  t.match(r.stdout, /VIP\s+198\.19\.0\.1, 2001:2:0:100::1/);
  t.match(r.stdout, /lb1\s+eth0\s+198\.18\.0\.11\s+2001:2::11\s+150\s+1\s+http:\/\/198\.18\.0\.11:9180/);
  t.match(r.stdout, /flow sync UDP 9181, every 20ms; a starting node waits 2s for the table/);
  t.match(r.stdout, /sessions  persistence tables synced over UDP 9182, every 100ms/);
  t.match(r.stdout, /web-tls\s+443\s+https\s+www\.lab\.test \*\.lab\.test \[certs\/lab\.pem\]/);
  t.match(r.stdout, /app\s+weighted\s+cookie\s+no\s+GET \/healthz every 500ms\s+198\.18\.0\.101:8080 w2/);
  t.match(r.stdout, /4\s+pages\s+every request\s+app\s+weighted\s+http:\/\/cdn1\.lab\.test/);
  t.equal(r.stderr, '');
});

t.test('check of a bad config exits 1 listing every error with its line, no stack', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lbarray-cli-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'bad.yaml');
  fs.writeFileSync(file, fs.readFileSync(path.join(examples, 'minimal.yaml'), 'utf8')
    .replace('port: 8080', 'port: 70000').replace('ipv4: 198.18.0.12', 'ipv4: 2001:2::12').replace('pool: app', 'pool: nope'));
  const r = await lbarray(['check', '-c', file]);
  t.equal(r.code, 1);
  t.equal(r.stdout, '');
  t.match(r.stderr, `lbarray: config ${file} has 2 errors:`);
  t.match(r.stderr, 'nodes[1].ipv4 (line 16): expected an IPv4 address');
  t.match(r.stderr, 'pools.app.servers[0].port (line 22): expected a number 1-65535');
  t.notMatch(r.stderr, /\n\s+at /, 'no stack trace');
});

t.test('run names a missing node, interface or privilege in one sentence', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lbarray-cli-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'array.yaml');
  fs.writeFileSync(file, fs.readFileSync(path.join(examples, 'minimal.yaml'), 'utf8').replace('interface: eth0', 'interface: nosuch0'));
  const missing = await lbarray(['run', '-c', file, '--node', 'lb7']);
  t.equal(missing.code, 1);
  t.equal(missing.stderr, 'lbarray: node "lb7" is not in the config (nodes: lb1, lb2).\n');
  const noIface = await lbarray(['run', '-c', file, '--node', 'lb1', '--log-level', 'silent']);
  t.equal(noIface.code, 1);
  const expected = missingCapabilities(['CAP_NET_RAW', 'CAP_NET_ADMIN']).length > 0
    ? /^lbarray: lbarray run needs CAP_NET/ : /^lbarray: node lb1 uses interface nosuch0, which does not exist here/;
  t.match(noIface.stderr, expected);
  t.equal(noIface.stderr.trim().split('\n').length, 1, 'one line');
});

t.test('--debug adds the stack', async (t) => {
  const plain = await lbarray(['replay', 'no-such-capture.pcap']);
  t.equal(plain.code, 1);
  t.notMatch(plain.stderr, /\n\s+at /, 'one sentence without --debug');
  const r = await lbarray(['--debug', 'replay', 'no-such-capture.pcap']);
  t.equal(r.code, 1);
  t.match(r.stderr, /\n\s+at /, 'the stack with --debug');
});

t.test('usage errors exit 1 with a hint', async (t) => {
  const r = await lbarray(['lab', 'sideways']);
  t.equal(r.code, 1);
  t.match(r.stderr, /value 'sideways' is invalid for argument 'action'. Allowed choices are up, down/);
  t.match(r.stderr, /see lbarray --help/);
});

t.test('bin/lbarray.js runs (compiled if dist/ is built, from source otherwise)', async (t) => {
  const r = await runNode([path.join(root, 'bin/lbarray.js'), 'version'], { bare: true });
  t.equal(r.code, 0, r.stderr);
  const { version } = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
  t.equal(r.stdout, `lbarray ${version} (node ${process.version})\n`);
});
