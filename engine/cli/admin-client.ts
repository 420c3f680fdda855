// The CLI side of the admin endpoint: status, drain and reload ask a node over HTTP.
import { adminEndpoint, type Config, type NodeConfig } from '../config/index.js';
import { LbError } from '../errors.js';

export interface AdminReply { status: number; body: unknown }

/** One request to a node's admin endpoint; LbError ERR_ADMIN_UNREACHABLE when it does not answer. */
export async function askNode(config: Config, node: NodeConfig, method: 'GET' | 'POST', path: string, body?: unknown,
  timeoutMs = 3000): Promise<AdminReply> {
  const { url } = adminEndpoint(config, node);
  const token = config.admin.token;
  let res: Response;
  try {
    res = await fetch(`${url}${path}`, {
      method,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(token && method === 'POST' ? { authorization: `Bearer ${token}` } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).name;
    throw new LbError('ERR_ADMIN_UNREACHABLE', `node ${node.id} does not answer at ${url} (${cause}).`, { cause: e });
  }
  const text = await res.text();
  let parsed: unknown = text;
  try { parsed = JSON.parse(text); } catch { /* plain text answer */ }
  return { status: res.status, body: parsed };
}

/** The error text of a non-2xx admin reply. */
export function replyError(node: NodeConfig, reply: AdminReply): string {
  const b = reply.body as { error?: string } | string;
  const why = typeof b === 'string' ? b.trim() : b?.error ?? JSON.stringify(b);
  // An empty answer is not lbarray's (its errors always say why): say so rather than print nothing.
  return `node ${node.id} answered ${reply.status}: ${why || 'no reason given (is this an lbarray admin endpoint?)'}`;
}
