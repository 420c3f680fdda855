// Runs one in-process L7 proxy (no worker thread) for profiling with --cpu-prof:
//   node --cpu-prof --import tsx perf/l7-profile.ts <listenPort> <backendPort> <seconds> [cert.pem key.pem [full]]
// With a certificate the listener terminates TLS; `full` turns session tickets off (every
// handshake a full one, as perf/l7.ts's httpsFull listener). Seconds 0: until SIGTERM.
// Instructions per full handshake, which load on a shared machine does not move: under callgrind
// (node --predictable: one thread), compiled files, one run. The warm-up runs uninstrumented
// (--instr-atstart=no: several times faster), then callgrind_control turns counting on, zeroes it,
// and dumps after N handshakes: OUT.1's "summary:" / N. Warm up with 10000: a per-connection
// function runs once a handshake, and after 3000 TurboFan was still compiling some (3.69 M
// instructions a handshake after 300, 2.84 M after 3000, 2.72-2.81 M after 10000 or 20000). GC
// and late compiles move a run by up to 1.5 %: compare two runs of N = 2000 each, and also their
// counts outside Heap::CollectGarbage, IncrementalMarking::Step and Runtime_CompileOptimized
// (inclusive), which agreed within 0.3 %. Same recipe, for scale: a bare tls.createServer
// answering a fixed 200, 2.64-2.65 M; nginx 1.22 (the system's OpenSSL 3.0.19, as Node's), 2.61 M.
//   valgrind --tool=callgrind --callgrind-out-file=OUT --instr-atstart=no node --predictable dist/perf/l7-profile.js 18446 BACKEND 0 cert.pem key.pem full &
//   node dist/perf/l7-tls-client.js 18446 10000 && callgrind_control -i on $! && callgrind_control -z $!
//   node dist/perf/l7-tls-client.js 18446 2000 && callgrind_control -d $! && kill $!
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
