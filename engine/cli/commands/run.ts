// `lbarray run`: one node of the array. The CLI has already loaded and validated the config, found
// this node, configured logging and checked privileges and the interface. The node daemon runs
// the L7 node always; the election (cluster part) hands the scheduler role to this node or not.
// Resolves with the exit code when a signal has stopped the node (SIGTERM: the cluster part
// resigns first, then the role and the L7 node stop).
import { ClusterPart } from '../../cluster/cluster-part.js';
import type { Config, NodeConfig } from '../../config/index.js';
import { L7Part } from '../../daemon/l7-part.js';
import { startNodeDaemon } from '../../daemon/node-daemon.js';
import { SchedulerPart } from '../../daemon/scheduler-part.js';
import type { Logger, LogLevel, LogOptions } from '../../log.js';
import type { CliIo } from '../io.js';

export interface RunContext {
  config: Config;
  /** Absolute path of the config file (reloads re-read it). */
  configFile: string;
  node: NodeConfig;
  log: Logger;
  io: CliIo;
}

/** A node's logging: the config's format, and the array's name and the node's id on every line. */
export function nodeLogOptions(config: Config, node: NodeConfig, level: LogLevel): LogOptions {
  return { level, format: config.logging.format, base: { array: config.name, node: node.id } };
}

export async function runNode(ctx: RunContext): Promise<number> {
  // The role starts before the cluster part, which reports node health to it from its start.
  const role = new SchedulerPart();
  return new Promise<number>((resolve, reject) => {
    startNodeDaemon({ configFile: ctx.configFile, nodeId: ctx.node.id, parts: [new L7Part(), role, new ClusterPart(role)], exit: resolve })
      .catch(reject);
  });
}
