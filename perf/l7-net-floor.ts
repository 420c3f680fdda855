// The floor of any proxy built on Node's net module, for perf/l7.ts: no HTTP at all. Each client
// connection gets its own back-end connection and bytes are copied both ways as they arrive
// (no parsing, no pool, no forwarding headers). Whatever a Node L7 proxy adds, it cannot use less
// CPU per request than this; nginx's figure against this one says how far a Node proxy can go.
// TLS listeners terminate TLS the same way as the other Node proxies, then pipe.
// Argument: JSON { http, https, httpsFull, backendPort, cert, key }.
import { constants } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';

const a = JSON.parse(process.argv[2]) as { http: number; https: number; httpsFull: number; backendPort: number; cert: string; key: string };

function pipe(client: net.Socket): void {
  const backend = net.connect({ host: '127.0.0.1', port: a.backendPort, noDelay: true });
  client.on('data', (d: Buffer) => backend.write(d));
  backend.on('data', (d: Buffer) => client.write(d));
  client.on('close', () => backend.destroy());
  backend.on('close', () => client.destroy());
  client.on('error', () => {});
  backend.on('error', () => {});
}

const keys = { cert: fs.readFileSync(a.cert), key: fs.readFileSync(a.key) };
net.createServer({ noDelay: true }, pipe).listen(a.http, '127.0.0.1');
tls.createServer({ ...keys, noDelay: true } as tls.TlsOptions, pipe).listen(a.https, '127.0.0.1');
tls.createServer({ ...keys, noDelay: true, secureOptions: constants.SSL_OP_NO_TICKET } as tls.TlsOptions, pipe).listen(a.httpsFull, '127.0.0.1');
