// The lbarray side of perf/l7.ts: an L7 node with one worker thread (LB_WORKERS to change), a
// plain service and two TLS services in front of the benchmark back-end: `https` with session
// tickets (resumed handshakes) and `httpsFull` without (every handshake is a full one).
// Argument: JSON { http, https, httpsFull, backendPort, cert, key }.
import fs from 'node:fs';
import { L7Node } from '../engine/l7/workers.js';

const a = JSON.parse(process.argv[2]) as { http: number; https: number; httpsFull: number; backendPort: number; cert: string; key: string };
const certificates = [{ cert: fs.readFileSync(a.cert, 'utf8'), key: fs.readFileSync(a.key, 'utf8') }];
const node = await L7Node.start({
  workers: Number(process.env.LB_WORKERS ?? 1),
  services: [
    { name: 'http', host: '127.0.0.1', port: a.http, defaultPool: 'be' },
    { name: 'https', host: '127.0.0.1', port: a.https, defaultPool: 'be', tls: { certificates } },
    { name: 'https-full', host: '127.0.0.1', port: a.httpsFull, defaultPool: 'be', tls: { certificates, sessionTickets: false } },
  ],
  pools: [{ name: 'be', servers: [{ id: 'nginx', host: '127.0.0.1', port: a.backendPort }] }],
});
process.on('SIGTERM', () => { void node.stop().then(() => process.exit(0)); });
