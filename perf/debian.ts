// Debian packages a benchmark runs (wrk, nginx, HAProxy, valgrind): installed when missing, so
// `npm run bench -- NAME` works on a fresh machine as .ci/run does for the tests.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

const installed = (pkg: string): Promise<boolean> => run('dpkg', ['-s', pkg]).then(() => true, () => false);

export async function ensureDebian(packages: readonly string[], log: (line: string) => void = console.log): Promise<void> {
  const missing = (await Promise.all(packages.map(async (p) => ((await installed(p)) ? [] : [p])))).flat();
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) throw new Error(`bench: missing Debian packages ${missing.join(' ')}; install them (apt-get install ${missing.join(' ')}) or run as root`);
  log(`bench: installing ${missing.join(' ')} from Debian`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await run('apt-get', ['update', '-qq'], { env });
  await run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { env, maxBuffer: 64 << 20 });
}
