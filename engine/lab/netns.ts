// Network namespaces through the `ip` command: create, delete, list, run a command inside one,
// and empty one of its processes. Everything the lab does to the system goes through here.
import { execFile } from 'node:child_process';
import { LbError } from '../errors.js';

export interface CommandResult {
  stdout: string;
  stderr: string;
}

export interface CommandOptions {
  /** Written to the command's standard input (e.g. an `ip -batch -` script). */
  input?: string;
  /** Killed after this long; the default suits configuration commands, not traffic. */
  timeoutMs?: number;
}

/** Runs argv[0] with the rest as arguments; rejects with ERR_LAB_COMMAND_FAILED on a non-zero exit. */
export function runCommand(argv: readonly string[], options: CommandOptions = {}): Promise<CommandResult> {
  const [file, ...args] = argv;
  if (file === undefined) throw new LbError('ERR_LAB_COMMAND_FAILED', 'An empty command cannot be run.');
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      { timeout: options.timeoutMs ?? 20_000, maxBuffer: 64 * 1024 * 1024, killSignal: 'SIGKILL' },
      (error, stdout, stderr) => {
        if (error) {
          const detail = (stderr || error.message).trim().split('\n').slice(-3).join(' | ');
          reject(new LbError('ERR_LAB_COMMAND_FAILED', `\`${argv.join(' ')}\` failed: ${detail}`, { cause: error }));
        } else {
          resolve({ stdout, stderr });
        }
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** The argv that runs `argv` inside namespace `ns` (`ip netns exec` execs in place: same pid). */
export function inNamespace(ns: string, argv: readonly string[]): string[] {
  return ['ip', 'netns', 'exec', ns, ...argv];
}

export function execIn(ns: string, argv: readonly string[], options?: CommandOptions): Promise<CommandResult> {
  return runCommand(inNamespace(ns, argv), options);
}

/** Feeds `ip` commands (without the leading `ip`) to one `ip -n NS -batch -`: one process per namespace. */
export async function ipBatch(ns: string, lines: readonly string[]): Promise<void> {
  if (lines.length === 0) return;
  await runCommand(['ip', '-n', ns, '-batch', '-'], { input: lines.join('\n') + '\n' });
}

/**
 * Sets sysctls inside a namespace in one process (keys in dotted form). `ifPresent`: keys this
 * kernel does not have (a module not loaded) are skipped silently instead of failing.
 */
export async function setSysctls(ns: string, values: Readonly<Record<string, string | number>>, options: { ifPresent?: boolean } = {}): Promise<void> {
  const pairs = Object.entries(values).map(([k, v]) => `${k}=${v}`);
  if (pairs.length > 0) await execIn(ns, ['sysctl', '-q', ...(options.ifPresent ? ['-e'] : []), '-w', ...pairs]);
}

export async function createNamespace(name: string): Promise<void> {
  try {
    await runCommand(['ip', 'netns', 'add', name]);
  } catch (e) {
    const text = String((e as Error).message);
    if (/ermission|not permitted/.test(text)) {
      throw new LbError('ERR_LAB_NEEDS_ROOT', 'Creating network namespaces needs root (CAP_SYS_ADMIN): run as root.', { cause: e });
    }
    if (/File exists/.test(text)) {
      throw new LbError('ERR_LAB_NAMESPACE_EXISTS', `Network namespace ${name} already exists.`, { cause: e });
    }
    throw e;
  }
}

export async function listNamespaces(): Promise<string[]> {
  const { stdout } = await runCommand(['ip', 'netns', 'list']);
  // Lines look like "name" or "name (id: 3)".
  return stdout.split('\n').map((l) => l.trim().split(/\s+/)[0] ?? '').filter((n) => n !== '');
}

export async function namespacePids(name: string): Promise<number[]> {
  try {
    const { stdout } = await runCommand(['ip', 'netns', 'pids', name]);
    return stdout.split(/\s+/).filter((s) => s !== '').map(Number);
  } catch {
    return []; // the namespace is already gone
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** SIGKILLs every process inside the namespace and waits (bounded) until none is left. */
export async function killNamespaceProcesses(name: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pids = (await namespacePids(name)).filter((pid) => pid !== process.pid);
    if (pids.length === 0) return;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // exited meanwhile
      }
    }
    if (Date.now() > deadline) {
      throw new LbError('ERR_LAB_PROCESS_STUCK', `Processes ${pids.join(', ')} in namespace ${name} did not exit after SIGKILL.`);
    }
    await sleep(20);
  }
}

/** Kills what runs inside, then deletes the namespace; a namespace that is already gone is fine. */
export async function deleteNamespace(name: string): Promise<void> {
  await killNamespaceProcesses(name);
  try {
    await runCommand(['ip', 'netns', 'delete', name]);
  } catch (e) {
    if ((await listNamespaces()).includes(name)) throw e;
  }
}
