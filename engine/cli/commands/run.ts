// Hook: `lbarray run`, one node of the array. The CLI has already loaded and validated the
// config, found this node, configured logging and checked privileges and the interface; this
// function starts the node (L7 proxy always; election, and the scheduler when elected) and
// resolves with the exit code when it stops. Ready for it: engine/daemon/node-daemon.ts, e.g.
//   await startNodeDaemon({ configFile: ctx.configFile, nodeId: ctx.node.id, parts: [l7, cluster] });
//   return new Promise(() => {}); // SIGTERM stops the parts in order and exits 0
// where each part implements NodePart (start, stop, apply, status, health, purge, drain).
import type { Config, NodeConfig } from '../../config/index.js';
import type { Logger } from '../../log.js';
import type { CliIo } from '../io.js';
import { notImplemented } from './not-implemented.js';

export interface RunContext {
  config: Config;
  /** Absolute path of the config file (reloads re-read it). */
  configFile: string;
  node: NodeConfig;
  log: Logger;
  io: CliIo;
}

export async function runNode(_ctx: RunContext): Promise<number> {
  return notImplemented('run', 'the L7 node (engine/l7), the scheduler (engine/scheduler) and the election (engine/cluster)');
}
