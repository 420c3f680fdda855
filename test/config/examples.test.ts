// The systemd unit example: runs the real CLI commands, unprivileged with capabilities.
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';

const unitText = fs.readFileSync(path.resolve(import.meta.dirname, '../../examples/lbarray.service'), 'utf8');

function directives(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('[')) continue;
    const i = line.indexOf('=');
    const key = line.slice(0, i);
    out.set(key, [...(out.get(key) ?? []), line.slice(i + 1)]);
  }
  return out;
}

t.test('the systemd unit grants capabilities instead of running as root', async (t) => {
  const d = directives(unitText);
  const caps = (d.get('AmbientCapabilities') ?? []).join(' ').split(/\s+/);
  // The README promises these three and no more.
  t.same([...caps].sort(), ['CAP_NET_ADMIN', 'CAP_NET_BIND_SERVICE', 'CAP_NET_RAW'], 'raw sockets, network admin, ports below 1024');
  t.same(d.get('CapabilityBoundingSet')?.join(' ').split(/\s+/).sort(), [...caps].sort(), 'and nothing more');
  t.not(d.get('User')?.[0], 'root');
  t.ok(d.get('User')?.[0], 'a user is set');
  t.equal(d.get('NoNewPrivileges')?.[0], 'yes');
  t.ok((d.get('RestrictAddressFamilies') ?? [''])[0].includes('AF_PACKET'), 'AF_PACKET stays allowed');
  t.notOk(d.has('ProtectKernelTunables'), 'net sysctls stay writable');
});

t.test('the systemd unit runs the commands the CLI has', async (t) => {
  const d = directives(unitText);
  t.match(d.get('ExecStart')?.[0], /\/lbarray run --config \S+ --node \$\{LBARRAY_NODE\}$/);
  t.match(d.get('ExecStartPre')?.[0], /\/lbarray check --config \S+$/);
  t.equal(d.get('ExecReload')?.[0], '/bin/kill -HUP $MAINPID', 'reload is SIGHUP');
  t.equal(d.get('KillSignal')?.[0], 'SIGTERM', 'stop is SIGTERM (graceful)');
});

t.test('systemd-analyze verify finds nothing wrong but the absent binary', async (t) => {
  const { spawnSync } = await import('node:child_process');
  const probe = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
  if (probe.error) { t.skip('systemd-analyze is not installed'); return; }
  const os = await import('node:os');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lbarray-unit-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, 'lbarray.service'), unitText);
  const r = spawnSync('systemd-analyze', ['verify', '--man=no', path.join(dir, 'lbarray.service')], { encoding: 'utf8', timeout: 20_000 });
  const complaints = `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.trim() !== '' && !/\/usr\/bin\/lbarray is not executable/.test(l));
  t.same(complaints, []);
});
