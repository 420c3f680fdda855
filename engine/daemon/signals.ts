// Process signals: SIGHUP reloads the config; SIGTERM and SIGINT stop gracefully and exit 0
// (1 when a part failed to stop); a second SIGTERM/SIGINT exits at once with 1.
import { logger } from '../log.js';
import type { ReloadResult } from '../admin/status.js';
import type { StopRegistry } from './stop-registry.js';

export interface SignalOptions {
  reload: () => Promise<ReloadResult>;
  stops: StopRegistry;
  graceMs: number;
  /** process.exit by default (tests pass their own). */
  exit?: (code: number) => void;
}

/** Installs the handlers; returns a function that removes them. */
export function handleSignals(opts: SignalOptions): () => void {
  const log = logger('lifecycle');
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  let stopping = false;

  const onHup = () => {
    log.info('SIGHUP: reloading the config');
    opts.reload().catch((e: unknown) => log.error({ err: e }, 'reload failed'));
  };
  const onStop = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ signal }, 'second stop signal: exiting now');
      exit(1);
      return;
    }
    stopping = true;
    log.info({ signal, graceMs: opts.graceMs }, 'stopping gracefully');
    opts.stops.stopAll(opts.graceMs).then((results) => {
      const failed = results.filter((r) => !r.ok && !r.timedOut);
      log.info({ parts: results.length, failed: failed.length }, 'stopped');
      exit(failed.length === 0 ? 0 : 1);
    }, (e: unknown) => {
      log.error({ err: e }, 'stop failed');
      exit(1);
    });
  };

  process.on('SIGHUP', onHup);
  process.on('SIGTERM', onStop);
  process.on('SIGINT', onStop);
  return () => {
    process.off('SIGHUP', onHup);
    process.off('SIGTERM', onStop);
    process.off('SIGINT', onStop);
  };
}
