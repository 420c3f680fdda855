// The main job, end to end: `lbarray demo` builds the lab, runs three real nodes, drives HTTP and
// HTTPS with long-lived downloads, SIGKILLs the scheduler, and tears everything down. What the
// operator is promised (issue 5, with its 200 long-lived downloads): a new scheduler within a
// second or two, no download held by a surviving node reset, no request failing outside the
// failover, every node serving, nothing left behind.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bufferIo } from '../../engine/cli/io.js';
import { demoArray } from '../../engine/demo/demo.js';

t.test('demo: traffic over three nodes, the scheduler killed, nothing lost on the survivors', { timeout: 240_000 }, async (t) => {
  const io = bufferIo();
  // The nodes' logs stay for a run that failed (the path is in the messages).
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lbarray-demo-logs-'));
  t.teardown(() => { if (t.passing()) fs.rmSync(logDir, { recursive: true, force: true }); });
  const { summary, prefix } = await demoArray({ seconds: 24, io, tty: false, streams: 200, logDir });
  if (!summary) { t.fail(`no summary (node logs in ${logDir}): ${io.stdout.slice(-3000)}`); return; }
  const log = `${io.stdout.slice(-3000)}\n${JSON.stringify(summary)}\nnode logs in ${logDir}`;
  const kills = summary.failovers.filter((x) => x.cause === 'kill');
  t.equal(kills.length, 1, 'the scheduler was killed once');
  const f = kills[0]!;
  t.not(f.to, null, `a new scheduler took over (${log})`);
  t.ok(f.seconds !== null && f.seconds < 2, `takeover seen ${f.seconds} s after the kill (status sampled every 250 ms)`);
  t.equal(summary.survivorResets, 0, 'no download held by a surviving node was reset');
  t.equal(summary.failedOutsideFailover, 0, `no request failed outside the failover (${JSON.stringify(summary.errors)}; node logs in ${logDir})`);
  t.ok(summary.http.ok > 500 && summary.https.ok > 100, `HTTP ${summary.http.ok} and HTTPS ${summary.https.ok} requests answered`);
  for (const id of ['lb1', 'lb2', 'lb3']) t.ok((summary.byNode[id] ?? 0) > 0, `${id} served requests (${summary.byNode[id] ?? 0})`);
  const left = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').filter((l) => l.startsWith(prefix));
  t.same(left, [], 'the lab is gone');
});
