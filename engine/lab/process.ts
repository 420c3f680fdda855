// A long-lived process inside a namespace (a server, a forwarder, a packet generator) that can be
// waited on for a line of output and stopped for sure: its own process group gets SIGTERM, then
// SIGKILL. Processes still running when this Node process exits are SIGKILLed too; after a crash
// of this process, `labDown` kills whatever is left in the lab's namespaces.
import { spawn, type ChildProcess } from 'node:child_process';
import { LbError } from '../errors.js';
import { inNamespace } from './netns.js';

export interface SpawnOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Pin to these CPUs with taskset (e.g. [1]). */
  cpus?: number[];
  /** Keep at most this many characters of output (stdout and stderr together). */
  maxOutput?: number;
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of running) {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
}

export class NsProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly exited: Promise<ExitStatus>;
  private text = '';
  /** Characters printed and no longer kept (over `maxOutput`). */
  private dropped = 0;
  private status: ExitStatus | undefined;
  private readonly listeners = new Set<() => void>();

  constructor(readonly ns: string, readonly argv: readonly string[], options: SpawnOptions = {}) {
    const pinned = options.cpus ? ['taskset', '-c', options.cpus.join(','), ...argv] : [...argv];
    const [file, ...args] = inNamespace(ns, pinned);
    this.child = spawn(file!, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: options.env, cwd: options.cwd });
    if (this.child.pid === undefined) throw new LbError('ERR_LAB_SPAWN_FAILED', `Could not start \`${argv.join(' ')}\` in ${ns}.`);
    this.pid = this.child.pid;
    installExitHook();
    running.add(this.child);
    const max = options.maxOutput ?? 1 << 20;
    const collect = (chunk: Buffer): void => {
      const text = this.text + chunk.toString();
      this.dropped += Math.max(text.length - max, 0);
      this.text = text.slice(-max);
      for (const l of this.listeners) l();
    };
    this.child.stdout!.on('data', collect);
    this.child.stderr!.on('data', collect);
    this.exited = new Promise((resolve) => {
      this.child.on('close', (code, signal) => {
        running.delete(this.child);
        this.status = { code, signal };
        for (const l of this.listeners) l();
        resolve(this.status);
      });
    });
  }

  /** Everything the process printed so far (stdout and stderr, interleaved as they came). */
  get output(): string {
    return this.text;
  }

  /** How many characters the process has printed so far: a mark for `outputSince` and `waitFor`. */
  get printed(): number {
    return this.dropped + this.text.length;
  }

  /** What the process printed from the mark `from` on (as much of it as is kept). */
  outputSince(from: number): string {
    return this.text.slice(Math.max(from - this.dropped, 0));
  }

  get exitStatus(): ExitStatus | undefined {
    return this.status;
  }

  /**
   * Resolves with the first match of `pattern` in the output printed from `from` on (a `printed`
   * mark: a line printed before an event must not stand for one after it); rejects if the process
   * exits or time runs out.
   */
  waitFor(pattern: RegExp, timeoutMs = 10_000, from = 0): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const m = this.outputSince(from).match(pattern);
        if (m) return done(() => resolve(m));
        if (this.status) {
          return done(() => reject(new LbError('ERR_LAB_PROCESS_EXITED',
            `\`${this.argv.join(' ')}\` exited (${this.status!.code ?? this.status!.signal}) before printing ${pattern}: ${this.text.slice(-400)}`)));
        }
      };
      const timer = setTimeout(() => done(() => reject(new LbError('ERR_LAB_TIMEOUT',
        `\`${this.argv.join(' ')}\` did not print ${pattern} within ${timeoutMs} ms: ${this.text.slice(-400)}`))), timeoutMs);
      const done = (settle: () => void): void => {
        clearTimeout(timer);
        this.listeners.delete(check);
        settle();
      };
      this.listeners.add(check);
      check();
    });
  }

  /** SIGTERM to the whole process group, SIGKILL after `graceMs`; resolves once it has exited. */
  async stop(graceMs = 2000): Promise<ExitStatus> {
    if (this.status) return this.status;
    const signal = (s: NodeJS.Signals): void => {
      try {
        process.kill(-this.pid, s);
      } catch {
        // group already gone
      }
    };
    signal('SIGTERM');
    const timer = setTimeout(() => signal('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

export function spawnIn(ns: string, argv: readonly string[], options?: SpawnOptions): NsProcess {
  return new NsProcess(ns, argv, options);
}
