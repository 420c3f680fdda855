// Starting a worker thread whose entry may be TypeScript source (tests, a checkout run through
// tsx) or compiled JavaScript (dist/). Shared by the L7 proxy workers and the scheduler's
// forwarding workers.
import { Worker, type TransferListItem } from 'node:worker_threads';

/** The URL of a worker entry beside `base` (import.meta.url of the caller), .ts or .js as the caller is. */
export function siblingEntry(base: string, name: string): URL {
  return new URL(`./${name}${base.endsWith('.ts') ? '.ts' : '.js'}`, base);
}

/**
 * Starts `entry` with `workerData` (`transferList`: the MessagePorts it carries). Under tap
 * (TAP=1) a TypeScript worker inherits tap's loader flags, which work in workers and keep coverage consistent (without its process tracking: in a
 * worker thread, same pid, it would take over the test process's coverage record). Node 20 does
 * not carry `--import tsx` into workers, so elsewhere the worker registers tsx itself first.
 */
export function startWorker(entry: URL, workerData: unknown, transferList: TransferListItem[] = []): Worker {
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry, { workerData, transferList });
  if (process.env.TAP === '1') {
    const execArgv = process.execArgv.filter((a) => !a.includes('processinfo'));
    return new Worker(entry, { workerData, execArgv, transferList });
  }
  const tsx = import.meta.resolve('tsx/esm/api');
  return new Worker(`import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); })`,
    { eval: true, workerData, execArgv: [], transferList });
}
