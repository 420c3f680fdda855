// Runs one in-process L7 proxy (no worker thread) for profiling with --cpu-prof:
//   node --cpu-prof --import tsx perf/l7-profile.ts <listenPort> <backendPort> <seconds> [cert.pem key.pem]
import fs from 'node:fs';
import { L7Proxy } from '../engine/l7/proxy.js';

const [port, backendPort, seconds] = process.argv.slice(2, 5).map(Number);
const [cert, key] = process.argv.slice(5);
const proxy = new L7Proxy({
  services: [{ name: 'http', host: '127.0.0.1', port, defaultPool: 'be',
    tls: cert === undefined ? undefined : { certificates: [{ cert: fs.readFileSync(cert, 'utf8'), key: fs.readFileSync(key, 'utf8') }] } }],
  pools: [{ name: 'be', servers: [{ id: 'b', host: '127.0.0.1', port: backendPort }] }],
});
await proxy.listen();
setTimeout(() => { void proxy.close().then(() => process.exit(0)); }, seconds * 1000);
