// `lbarray drain`, `reload`, `purge` and `server`: actions on nodes' admin endpoints.
import { formatIssue, type ConfigIssue } from '../../config/errors.js';
import { nodeById, type Config, type NodeConfig } from '../../config/index.js';
import { LbError } from '../../errors.js';
import type { AdminState } from '../../l7/admin-state.js';
import { askNode, replyError } from '../admin-client.js';
import type { CliIo } from '../io.js';

export async function drainNode(config: Config, io: CliIo, nodeId: string, on: boolean): Promise<number> {
  const node = nodeById(config, nodeId);
  const reply = await askNode(config, node, 'POST', '/drain', { drain: on });
  if (reply.status !== 200) throw new LbError('ERR_ADMIN_REFUSED', `${replyError(node, reply)}.`);
  io.out(on ? `node ${node.id} is draining: no new flows, existing flows finish.\n` : `node ${node.id} takes new flows again.\n`);
  return 0;
}

export async function reloadNodes(config: Config, io: CliIo, nodeId?: string): Promise<number> {
  return onEachNode(config, io, nodeId, async (node) => {
    const reply = await askNode(config, node, 'POST', '/reload', {});
    if (reply.status === 200) return `node ${node.id}: config reloaded.`;
    const issues = (reply.body as { issues?: ConfigIssue[] }).issues;
    throw new LbError('ERR_ADMIN_REFUSED', issues ? `node ${node.id} refused the config and keeps the running one:\n${issues.map((i) => `  ${formatIssue(i)}`).join('\n')}`
      : replyError(node, reply));
  });
}

/** Drops cached pages on every node (each node has its own cache), or on one. */
export async function purgeCache(config: Config, io: CliIo, what: { url: string } | { prefix: string }, nodeId?: string): Promise<number> {
  return onEachNode(config, io, nodeId, async (node) => {
    const reply = await askNode(config, node, 'POST', '/purge', what);
    if (reply.status !== 200) throw new LbError('ERR_ADMIN_REFUSED', replyError(node, reply));
    return `node ${node.id}: ${(reply.body as { purged: number }).purged} cached page(s) purged.`;
  });
}

const SERVER_STATE_SAYS: Record<AdminState, string> = {
  ready: 'takes new clients',
  drain: 'draining: no new clients, persistent ones stay',
  maint: 'in maintenance: no requests',
};

/** Sets the operator's state of a back-end server on every node (each node schedules for itself), or on one. */
export async function setServerState(config: Config, io: CliIo, pool: string, server: string, state: AdminState, nodeId?: string): Promise<number> {
  return onEachNode(config, io, nodeId, async (node) => {
    const reply = await askNode(config, node, 'POST', '/server', { pool, server, state });
    if (reply.status !== 200) throw new LbError('ERR_ADMIN_REFUSED', replyError(node, reply));
    return `node ${node.id}: ${pool} ${server} ${SERVER_STATE_SAYS[state]}.`;
  });
}

/**
 * Asks every node (or the one named) in turn; `ask` returns the line to print. A node that
 * refuses or does not answer is reported on stderr and makes the exit code 1; the others are asked all the same.
 */
async function onEachNode(config: Config, io: CliIo, nodeId: string | undefined, ask: (node: NodeConfig) => Promise<string>): Promise<number> {
  const nodes = nodeId ? [nodeById(config, nodeId)] : config.nodes;
  let failed = 0;
  for (const node of nodes) {
    try {
      io.out(`${await ask(node)}\n`);
    } catch (e) {
      if (!(e instanceof LbError)) throw e;
      failed++;
      io.err(`${e.message}\n`);
    }
  }
  return failed === 0 ? 0 : 1;
}
