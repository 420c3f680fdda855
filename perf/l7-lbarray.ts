// The lbarray side of perf/l7.ts: an L7 node with one worker thread, plain and TLS services
// in front of the benchmark back-end. Argument: JSON { http, https, backendPort, cert, key }.
import fs from 'node:fs';
import { L7Node } from '../engine/l7/workers.js';

const a = JSON.parse(process.argv[2]) as { http: number; https: number; backendPort: number; cert: string; key: string };
const node = await L7Node.start({
  workers: Number(process.env.LB_WORKERS ?? 1),
  services: [
    { name: 'http', host: '127.0.0.1', port: a.http, defaultPool: 'be' },
    { name: 'https', host: '127.0.0.1', port: a.https, defaultPool: 'be',
      tls: { certificates: [{ cert: fs.readFileSync(a.cert, 'utf8'), key: fs.readFileSync(a.key, 'utf8') }] } },
  ],
  pools: [{ name: 'be', servers: [{ id: 'nginx', host: '127.0.0.1', port: a.backendPort }] }],
});
process.on('SIGTERM', () => { void node.stop().then(() => process.exit(0)); });
