// `lbarray drain NODE` and `lbarray reload`: actions on nodes' admin endpoints.
import { formatIssue, type ConfigIssue } from '../../config/errors.js';
import { nodeById, type Config } from '../../config/index.js';
import { LbError } from '../../errors.js';
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
  const nodes = nodeId ? [nodeById(config, nodeId)] : config.nodes;
  let failed = 0;
  for (const node of nodes) {
    try {
      const reply = await askNode(config, node, 'POST', '/reload', {});
      if (reply.status === 200) { io.out(`node ${node.id}: config reloaded.\n`); continue; }
      failed++;
      const issues = (reply.body as { issues?: ConfigIssue[] }).issues;
      io.err(issues ? `node ${node.id} refused the config and keeps the running one:\n${issues.map((i) => `  ${formatIssue(i)}`).join('\n')}\n`
        : `${replyError(node, reply)}\n`);
    } catch (e) {
      if (!(e instanceof LbError)) throw e;
      failed++;
      io.err(`${e.message}\n`);
    }
  }
  return failed === 0 ? 0 : 1;
}

/** Drops cached pages on every node (each node has its own cache), or on one. */
export async function purgeCache(config: Config, io: CliIo, what: { url: string } | { prefix: string }, nodeId?: string): Promise<number> {
  const nodes = nodeId ? [nodeById(config, nodeId)] : config.nodes;
  let failed = 0;
  for (const node of nodes) {
    try {
      const reply = await askNode(config, node, 'POST', '/purge', what);
      if (reply.status === 200) {
        io.out(`node ${node.id}: ${(reply.body as { purged: number }).purged} cached page(s) purged.\n`);
      } else {
        failed++;
        io.err(`${replyError(node, reply)}\n`);
      }
    } catch (e) {
      if (!(e instanceof LbError)) throw e;
      failed++;
      io.err(`${e.message}\n`);
    }
  }
  return failed === 0 ? 0 : 1;
}
