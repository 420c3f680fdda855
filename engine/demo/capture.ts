// `lbarray demo --capture FILE`: dumpcap inside the client's namespace records what crosses the
// client's interface to and from the VIP (the demo's HTTP and HTTPS sessions: handshakes,
// requests, responses, teardown; ARP and NDP) as classic pcap. The admin polls to the nodes' own
// addresses are left out by the filter: they are not the array's traffic. Two bounds keep the
// file small: a packet count and a size under the 2 MB a file in captures/ may take.
import path from 'node:path';
import { LbError } from '../errors.js';
import type { Lab, NsProcess } from '../lab/index.js';

export interface CaptureOptions {
  file: string;
  /** dumpcap stops by itself after this many packets. */
  packets: number;
}

/** dumpcap's file-size autostop (kB): the file stays under 2 MB whatever the packet bound. */
const MAX_KB = 1900;
const START_TIMEOUT_MS = 10_000;
/** After the load stops: time for the last FIN/ACK exchanges to cross the interface. */
const SETTLE_MS = 500;

export class ClientCapture {
  private constructor(private readonly dumpcap: NsProcess, readonly file: string) {}

  /** Starts dumpcap on `host`'s first interface; resolves once it is capturing. */
  static async start(lab: Lab, host: string, vip: { v4: string; v6: string }, o: CaptureOptions): Promise<ClientCapture> {
    const file = path.resolve(o.file);
    const h = lab.host(host);
    const filter = `host ${vip.v4} or host ${vip.v6} or arp or icmp6`;
    const dumpcap = lab.spawn(host, ['dumpcap', '-i', h.iface, '-P', '-w', file, '-f', filter,
      '-c', String(o.packets), '-a', `filesize:${MAX_KB}`]);
    try {
      await dumpcap.waitFor(/^Capturing on/m, START_TIMEOUT_MS);
    } catch (e) {
      await dumpcap.stop();
      throw new LbError('ERR_DEMO_CAPTURE', `dumpcap could not capture on ${host}'s ${h.iface} (is wireshark-common installed?): ${dumpcap.output.trim().slice(-300)}`, { cause: e });
    }
    return new ClientCapture(dumpcap, file);
  }

  /** Stops dumpcap (SIGTERM: it flushes and closes the file; a no-op if a bound already stopped it). */
  async stop(): Promise<string> {
    if (this.dumpcap.exitStatus === undefined) await new Promise((r) => setTimeout(r, SETTLE_MS));
    await this.dumpcap.stop();
    const packets = /Packets captured: (\d+)/.exec(this.dumpcap.output)?.[1] ?? '?';
    return `captured ${packets} packets of the client's traffic to ${this.file}\n`;
  }
}
