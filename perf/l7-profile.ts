// Runs one in-process L7 proxy (no worker thread) for profiling with --cpu-prof:
//   node --cpu-prof --import tsx perf/l7-profile.ts <listenPort> <backendPort> <seconds> [cert.pem key.pem [full]]
// With a certificate the listener terminates TLS; `full` turns session tickets off (every
// handshake a full one, as perf/l7.ts's httpsFull listener). Seconds 0: until SIGTERM.
// Instructions per full handshake, which load on a shared machine does not move: run it under
// callgrind (node --predictable: one thread) while perf/l7-tls-client.ts makes N and then M
// connections, in two runs; (I(M) - I(N)) / (M - N) leaves start-up out. Warm tsx's cache first.
//   valgrind --tool=callgrind --callgrind-out-file=OUT node --predictable --import tsx perf/l7-profile.ts 18446 BACKEND 0 cert.pem key.pem full &
//   node --import tsx perf/l7-tls-client.ts 18446 N && kill %1
// Instructions per keep-alive request (plain HTTP), in one run: perf/l7-keepalive-client.ts
// serves the back-end, sends W warm-up requests, has callgrind dump its counts, sends N more and
// dumps again, so OUT.2 holds those N requests alone (its "summary:" line / N). Run the compiled
// files (npm run build:ts), as the daemon does: `--import tsx` on the main thread invalidates V8's
// ArrayBufferDetaching protector (every typed-array read checks for a detached buffer), which
// the workers, loading tsx through its API, do not. Warm up with 12000 or more: after 2000,
// a quarter of the counted instructions were still TurboFan compiling.
//   valgrind --tool=callgrind --callgrind-out-file=OUT node --predictable dist/perf/l7-profile.js 18461 18462 0 &
//   node dist/perf/l7-keepalive-client.js 18461 18462 12000 4000 wrk $! && kill %1
// `browser` instead of `wrk` sends a browser's dozen request fields. Repeat runs agree within 1 %.
// With --perf-basic-prof, /tmp/perf-PID.map names the JIT code addresses callgrind shows.
import fs from 'node:fs';
import { L7Proxy } from '../engine/l7/proxy.js';

const [port, backendPort, seconds] = process.argv.slice(2, 5).map(Number);
const [cert, key, mode] = process.argv.slice(5);
const proxy = new L7Proxy({
  services: [{ name: 'http', host: '127.0.0.1', port, defaultPool: 'be',
    tls: cert === undefined ? undefined : { certificates: [{ cert: fs.readFileSync(cert, 'utf8'), key: fs.readFileSync(key, 'utf8') }], sessionTickets: mode !== 'full' } }],
  pools: [{ name: 'be', servers: [{ id: 'b', host: '127.0.0.1', port: backendPort }] }],
});
await proxy.listen();
const stop = () => { void proxy.close().then(() => process.exit(0)); };
process.on('SIGTERM', stop);
if (seconds > 0) setTimeout(stop, seconds * 1000);
