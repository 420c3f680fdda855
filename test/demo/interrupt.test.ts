// The README: the demo "removes the lab, also on Ctrl-C", and the CLI exits 130 when the demo is
// interrupted. The real `lbarray demo` in a child process gets SIGINT during the election, and
// under load (when it still prints its summary).
import t from 'tap';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { root } from '../cli/fixtures/run-cli.js';

/** Runs `lbarray demo`, sends SIGINT once its output matches `when`; its exit code and output. */
async function interruptDemo(t: Tap.Test, when: RegExp): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'engine/cli/main.ts', 'demo', '--seconds', '120'], {
    cwd: root, stdio: ['ignore', 'pipe', 'pipe'], detached: true,
  });
  t.teardown(() => { if (child.exitCode === null) process.kill(-child.pid!, 'SIGKILL'); });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { out += d; });
  const exited = once(child, 'exit');
  for (const until = Date.now() + 120_000; !when.test(out) && Date.now() < until && child.exitCode === null;) {
    await new Promise((r) => setTimeout(r, 100));
  }
  t.match(out, when, 'the demo got that far');
  child.kill('SIGINT');
  const [code] = await exited;
  return { code: code as number | null, out };
}

/** The lab the demo says it removed is gone, all eight namespaces of it. */
function labRemoved(t: Tap.Test, out: string): void {
  const removed = /lab (lb[a-z0-9]{4}-) removed \((\d+) namespaces\)/.exec(out);
  t.ok(removed, 'it says it removed its lab');
  t.equal(Number(removed?.[2]), 8, 'all eight namespaces: client1, lb1..lb3, be1..be3, switch');
  const left = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').filter((l) => removed && l.startsWith(removed[1]!));
  t.same(left, [], 'none is left');
}

t.test('Ctrl-C during the election: the demo stops, removes its lab and exits 130', { timeout: 180_000 }, async (t) => {
  const { code, out } = await interruptDemo(t, /waiting for an election/);
  t.equal(code, 130, `exit 130 after Ctrl-C (${out.slice(-1500)})`);
  t.match(out, 'interrupted before the load started: nothing to sum up.', 'said, not an error');
  t.notMatch(out, /^lbarray: /m, 'no error');
  labRemoved(t, out);
});

t.test('Ctrl-C under load: the summary, the lab removed, exit 130', { timeout: 180_000 }, async (t) => {
  const { code, out } = await interruptDemo(t, /is the scheduler; load running/);
  t.equal(code, 130, `exit 130 after Ctrl-C (${out.slice(-1500)})`);
  t.match(out, /^summary$/m, 'the summary');
  t.match(out, /HTTP requests\s+\d+ ok, \d+ failed/);
  labRemoved(t, out);
});
