// Entry point of one proxy worker thread: build the proxy, listen on this worker's own
// SO_REUSEPORT socket(s), then follow the control plane's messages.
import { parentPort, workerData } from 'node:worker_threads';
import { PageCacheClient } from '../cdn/index.js';
import { isLbError } from '../errors.js';
import { openServiceSockets } from './acceptors.js';
import type { FromWorker, ToWorker, WorkerData } from './messages.js';
import { L7Proxy } from './proxy.js';

const data = workerData as WorkerData;
const port = parentPort!;
const send = (m: FromWorker) => port.postMessage(m);

async function main(): Promise<void> {
  const shared = { ...data.shared, ticketKeys: Buffer.from(data.shared.ticketKeys) };
  const pageCache = data.pageCache === undefined ? undefined : new PageCacheClient(data.pageCache);
  const proxy = new L7Proxy(data.options, shared, {
    onPassive: (pool, server, kind) => send({ type: 'passive', pool, server, kind }), pageCache, workerIndex: data.index,
  });
  for (const s of data.states) proxy.setServerState(s);
  const fds: Record<string, number[]> = {};
  if (data.reusePort) {
    const limited = data.options.maxConnections !== undefined;
    for (const s of data.options.services) fds[s.name] = openServiceSockets(s.host, data.ports[s.name] ?? s.port, limited);
  }
  await proxy.listen(fds);
  port.on('message', (m: ToWorker) => {
    if (m.type === 'server') proxy.setServerState(m.state);
    else if (m.type === 'stats') {
      const st = proxy.stats;
      send({ type: 'stats', id: m.id, stats: { index: data.index, connections: st.connections, accepted: st.accepted, dropped: st.dropped, requests: st.requests,
        responses: st.responses, errors: st.errors, upstream: proxy.upstreamStats(), ...(m.metrics === true ? { metrics: proxy.requestMetrics.take() } : {}) } });
    } else if (m.type === 'stop') {
      // What was counted since the last scrape leaves with the thread (a reload's old workers serve on for a while).
      void proxy.close(m.graceful !== true, m.drain !== false).then(() => { send({ type: 'final', metrics: proxy.requestMetrics.take() }); process.exit(0); });
    }
  });
  send({ type: 'ready', ports: Object.fromEntries(data.options.services.map((s) => [s.name, proxy.port(s.name)])) });
}

main().catch((e: unknown) => {
  send({ type: 'failed', code: isLbError(e) ? e.code : 'ERR_L7_WORKER', message: (e as Error).message });
  process.exit(1);
});
