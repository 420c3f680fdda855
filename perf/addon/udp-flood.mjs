// UDP load from inside a namespace for perf/addon/ring-paths.ts: the kernel
// builds these datagrams, so they leave a veth with partial checksums.
//   node udp-flood.mjs send HOST PORT SECONDS PAYLOAD_BYTES   (prints datagrams sent)
//   node udp-flood.mjs recv HOST PORT SECONDS                 (prints "ready", then datagrams received)
import dgram from 'node:dgram';

const [mode, host, port, seconds, size] = process.argv.slice(2);
const sock = dgram.createSocket('udp4');
const until = Date.now() + Number(seconds) * 1000;
if (mode === 'send') {
  const payload = Buffer.alloc(Number(size), 7);
  let sent = 0;
  let inFlight = 0;
  sock.connect(Number(port), host, () => {
    const pump = () => {
      while (inFlight < 512) {
        inFlight++;
        payload.writeUInt16BE(sent & 0xffff, 0);  // vary the payload, so the checksums vary
        sock.send(payload, () => { inFlight--; sent++; });
      }
      if (Date.now() < until) setImmediate(pump);
      else setTimeout(() => { console.log(String(sent)); sock.close(); }, 50);
    };
    pump();
  });
} else {
  let got = 0;
  sock.on('message', () => { got++; });
  sock.bind(Number(port), host, () => console.log('ready'));
  setTimeout(() => { console.log(String(got)); sock.close(); }, Number(seconds) * 1000 + 500);
}
