// A lab whose owner dies (SIGKILL, no cleanup code runs) is still removed completely: by prefix
// even without its state file, or by reaping labs whose owner is dead.
import t from 'tap';
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { labDown, labUp, listLabs, reapStaleLabs } from '../../engine/lab/index.js';
import { listNamespaces } from '../../engine/lab/netns.js';
import { defaultStateDir } from '../../engine/lab/state.js';

const labModule = fileURLToPath(new URL('../../engine/lab/index.ts', import.meta.url));

// The owner: builds a lab, starts a long-lived process inside it, reports, then waits to be killed.
const owner = (stateDir: string): string => `
  import { labUp, arrayTopology } from ${JSON.stringify(labModule)};
  const lab = await labUp(arrayTopology({ lbNodes: 1, backends: 1 }), { stateDir: ${JSON.stringify(stateDir)} });
  const p = lab.spawn('be1', ['sleep', '300']);
  console.log(JSON.stringify({ prefix: lab.prefix, pid: p.pid }));
  setInterval(() => {}, 1000);
`;

async function crashedLab(stateDir: string): Promise<{ prefix: string; pid: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', owner(stateDir)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve(out.split('\n')[0]!);
    });
    child.on('exit', (code) => reject(new Error(`owner exited (${code}) before building its lab`)));
  });
  child.kill('SIGKILL');
  await new Promise((r) => child.once('close', r));
  return JSON.parse(line) as { prefix: string; pid: number };
}

// Killed means gone or a zombie waiting for its (new) parent to reap it.
const alive = async (pid: number): Promise<boolean> => {
  try {
    const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
};

t.test('lab down by prefix removes a crashed lab, even without its state file', async (t) => {
  const { prefix, pid } = await crashedLab(defaultStateDir);
  t.teardown(() => labDown(prefix));
  t.equal((await listNamespaces()).filter((n) => n.startsWith(prefix)).length, 4, 'the crashed lab left 4 namespaces');
  t.ok(await alive(pid), 'and a process inside');
  await fs.rm(path.join(defaultStateDir, `${prefix.slice(0, -1)}.json`));
  const removed = await labDown(prefix);
  t.equal(removed.length, 4);
  t.same((await listNamespaces()).filter((n) => n.startsWith(prefix)), [], 'ip netns list has nothing with the prefix');
  t.notOk(await alive(pid), 'the process inside was killed');
});

t.test('reaping removes labs whose owner is dead', async (t) => {
  const stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'lbarray-labs-'));
  t.teardown(() => fs.rm(stateDir, { recursive: true, force: true }));
  const { prefix, pid } = await crashedLab(stateDir);
  t.teardown(() => labDown(prefix, { stateDir }));
  // A lab made by `lbarray lab up` outlives its maker on purpose: reaping must spare it.
  const kept = await labUp({ hosts: [{ name: 'h1', role: 'host', interfaces: [] }] }, { stateDir, persistent: true });
  t.teardown(() => kept.down());
  const labs = await listLabs({ stateDir });
  t.match(labs.find((l) => l.prefix === prefix), { ownerAlive: false, namespaces: [`${prefix}client1`, `${prefix}lb1`, `${prefix}be1`, `${prefix}switch`].sort() }, 'listed as a lab with a dead owner');
  t.match(labs.find((l) => l.prefix === kept.prefix), { ownerPid: 0 }, 'the persistent lab has no owner');
  t.same(await reapStaleLabs({ stateDir }), [prefix]);
  t.ok((await listNamespaces()).includes(`${kept.prefix}h1`), 'the persistent lab is still there');
  await kept.down();
  t.same((await listNamespaces()).filter((n) => n.startsWith(prefix)), [], 'ip netns list has nothing with the prefix');
  t.notOk(await alive(pid), 'the process inside was killed');
  t.same(await fs.readdir(stateDir), [], 'state file removed');
});
