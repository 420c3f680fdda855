// Starting a worker thread whose entry may be TypeScript source (tests, a checkout run through
// tsx) or compiled JavaScript (dist/). Shared by the L7 proxy workers and the scheduler's
// forwarding workers.
import { Worker, type TransferListItem } from 'node:worker_threads';

/** The URL of a worker entry beside `base` (import.meta.url of the caller), .ts or .js as the caller is. */
export function siblingEntry(base: string, name: string): URL {
  return new URL(`./${name}${base.endsWith('.ts') ? '.ts' : '.js'}`, base);
}

/**
 * Niceness every thread started from now on sets itself to first (undefined: the one it inherits).
 * A thread inherits its creator's niceness, and the daemon raises its main thread's (election.nice):
 * the workers it starts later (a reload, a respawn) keep the process's own.
 */
let workerNice: number | undefined;

export function setWorkerNice(nice: number): void {
  workerNice = nice;
}

/**
 * Starts `entry` with `workerData` (`transferList`: the MessagePorts it carries). Node 20 does not
 * carry `--import tsx` into workers, so a TypeScript worker registers tsx itself first: the one
 * transpiler of every process here, tests included (.taprc).
 */
export function startWorker(entry: URL, workerData: unknown, transferList: TransferListItem[] = []): Worker {
  const nice = workerNice === undefined ? '' : `require('node:os').setPriority(${workerNice}); `;
  const load = entry.pathname.endsWith('.ts')
    ? `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); })`
    : `import(${JSON.stringify(entry.href)})`;
  return new Worker(nice + load, { eval: true, workerData, execArgv: [], transferList });
}
