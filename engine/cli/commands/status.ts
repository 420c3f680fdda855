// `lbarray status`: asks each node's admin endpoint (or one node's) and prints a table.
import type { NodeStatus } from '../../admin/status.js';
import { nodeById, type Config } from '../../config/index.js';
import { isLbError } from '../../errors.js';
import { askNode, replyError } from '../admin-client.js';
import type { CliIo } from '../io.js';
import { renderTable } from '../table.js';

const upCount = (items: ReadonlyArray<{ up: boolean }>) => `${items.filter((i) => i.up).length}/${items.length} up`;

export async function showStatus(config: Config, io: CliIo, nodeId?: string): Promise<number> {
  const nodes = nodeId ? [nodeById(config, nodeId)] : config.nodes;
  const answers = await Promise.all(nodes.map(async (n) => {
    try {
      const reply = await askNode(config, n, 'GET', '/status');
      if (reply.status !== 200) return { node: n, error: replyError(n, reply) };
      return { node: n, status: reply.body as NodeStatus };
    } catch (e) {
      if (isLbError(e)) return { node: n, error: e.message };
      throw e;
    }
  }));
  io.out(renderTable(['NODE', 'ROLE', 'SCHEDULER', 'DRAINING', 'NODES', 'BACKENDS', 'UPTIME'], answers.map((a) => (a.status ? [
    a.node.id, a.status.role, a.status.scheduler ?? '-', a.status.draining ? 'yes' : 'no', upCount(a.status.nodes),
    upCount(a.status.backends), `${Math.round(a.status.uptimeSeconds)}s`,
  ] : [a.node.id, 'unreachable', '-', '-', '-', '-', '-'])), ''));
  for (const a of answers) if (a.error) io.err(`${a.error}\n`);
  const one = answers.length === 1 ? answers[0].status : undefined;
  if (one) {
    io.out('\n');
    io.out(renderTable(['BACKEND', 'POOL', 'HEALTH', 'STATE'], one.backends.map((b) => [
      `${b.address.includes(':') ? `[${b.address}]` : b.address}:${b.port}`, b.pool, b.up ? 'up' : 'down', b.state ?? 'ready',
    ]), ''));
    const counters = Object.entries(one.counters);
    if (counters.length > 0) {
      io.out('\n');
      io.out(renderTable(['COUNTER', 'VALUE'], counters.map(([k, v]) => [k, String(v)]), ''));
    }
  }
  return answers.every((a) => a.status) ? 0 : 1;
}
