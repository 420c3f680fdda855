// The configured services (VIP, protocol, port) as a small open-addressing table of Uint32 words,
// so the packet path checks "is this a service?" with one hash and a probe or two, no objects.
// Besides each (VIP, proto, port) it holds (VIP, proto, port 0), meaning "some service of this
// protocol on this VIP" (later fragments carry no port), and (VIP, proto 0, port 0), meaning
// "this is a VIP" (ARP and NDP for it are answered).
import { isIP } from 'node:net';
import { LbError } from '../errors.js';
import { KIND_IPV6 } from './flow-key.js';
import type { Same } from './flow-table.js';

export interface ServiceSpec {
  vip: string;
  proto: 'tcp' | 'udp';
  port: number;
}

const PROTO_NUMBER = { tcp: 6, udp: 17 } as const;
// A const enum: its values are written into the code (a module const is a load at every use).
const enum Entry {
  WORDS = 5, // address (4 words), kind = proto | IPv6 << 8 | port << 16
  KIND = 4,
  KIND_IPV6 = 0x100,
}
type EntryChecked = Same<typeof KIND_IPV6, Entry.KIND_IPV6>;

/** Parses an IPv4/IPv6 address into 4 words (IPv4: first word, rest 0). */
export function addressWords(address: string): Uint32Array {
  const family = isIP(address);
  if (family === 0) throw new LbError('ERR_SERVICE_ADDRESS', `Expected an IPv4 or IPv6 address, but received ${JSON.stringify(address)}.`);
  const w = new Uint32Array(4);
  if (family === 4) {
    w[0] = address.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
    return w;
  }
  let [head, tail] = address.split('::') as [string, string | undefined];
  let v4tail: number[] = [];
  const lastGroup = (tail ?? head).split(':').pop() ?? '';
  if (lastGroup.includes('.')) { // embedded IPv4 (::ffff:1.2.3.4)
    const n = addressWords(lastGroup)[0];
    v4tail = [n >>> 16, n & 0xffff];
    if (tail !== undefined) tail = tail.slice(0, tail.length - lastGroup.length).replace(/:$/, '');
    else head = head.slice(0, head.length - lastGroup.length).replace(/:$/, '');
  }
  const groups = (s: string | undefined): number[] => (s ? s.split(':').map((g) => parseInt(g, 16)) : []);
  const h = groups(head);
  const t = [...groups(tail), ...v4tail];
  const all = tail === undefined ? [...h, ...v4tail] : [...h, ...new Array(8 - h.length - t.length).fill(0), ...t];
  for (let i = 0; i < 4; i++) w[i] = ((all[2 * i] << 16) | all[2 * i + 1]) >>> 0;
  return w;
}

// A cheap mix is enough: the keys are few and chosen by the operator, not by clients. A module
// const, not a static method: the packet path then calls a known function (a static method is
// looked up on the class binding, with a TDZ check, at every call).
const serviceHash = (a0: number, a1: number, a2: number, a3: number, kind: number): number => {
  const h = Math.imul(a0 ^ Math.imul(a1 ^ a2 ^ a3, 0x9e3779b1) ^ Math.imul(kind, 0x85ebca6b), 0xc2b2ae35);
  return h ^ (h >>> 15);
};

export class ServiceSet {
  private readonly mask: number;
  private readonly slots: Int32Array;
  private readonly used: Uint8Array;
  /** Services, counting each (VIP, proto, port) once. */
  readonly count: number;

  constructor(services: readonly ServiceSpec[]) {
    const entries: Uint32Array[] = [];
    const add = (addr: Uint32Array, kind: number): void => {
      const e = new Uint32Array(Entry.WORDS);
      e.set(addr);
      e[Entry.KIND] = kind >>> 0;
      if (!entries.some((x) => x.every((v, i) => v === e[i]))) entries.push(e);
    };
    for (const s of services) {
      if (!Number.isInteger(s.port) || s.port < 1 || s.port > 65535) {
        throw new LbError('ERR_SERVICE_PORT', `Expected a port in [1, 65535] for ${s.vip}, but received ${s.port}.`);
      }
      const proto = PROTO_NUMBER[s.proto];
      if (proto === undefined) throw new LbError('ERR_SERVICE_PROTO', `Expected proto "tcp" or "udp", but received ${JSON.stringify(s.proto)}.`);
      const addr = addressWords(s.vip);
      const v6 = isIP(s.vip) === 6 ? Entry.KIND_IPV6 : 0;
      add(addr, proto | v6 | (s.port << 16));
      add(addr, proto | v6);
      add(addr, v6);
    }
    this.count = new Set(services.map((s) => `${s.vip}/${s.proto}/${s.port}`)).size;
    let capacity = 8;
    while (capacity < entries.length * 4) capacity *= 2;
    this.mask = capacity - 1;
    this.slots = new Int32Array(capacity * Entry.WORDS);
    this.used = new Uint8Array(capacity);
    for (const e of entries) {
      let i = serviceHash(e[0], e[1], e[2], e[3], e[4]) & this.mask;
      while (this.used[i] === 1) i = (i + 1) & this.mask;
      this.used[i] = 1;
      this.slots.set(e, i * Entry.WORDS);
    }
  }

  /** Every entry as 5 words (address 4, kind), e.g. for the C++ replay baseline. */
  entryWords(): Uint32Array {
    const out: number[] = [];
    for (let i = 0; i <= this.mask; i++) if (this.used[i] === 1) out.push(...this.slots.subarray(i * Entry.WORDS, (i + 1) * Entry.WORDS));
    return new Uint32Array(Int32Array.from(out).buffer);
  }

  /** Is (address words as int32, kind) configured? kind = proto | IPv6 << 8 | port << 16 (port 0, proto 0: see above).
   *  An IPv4 address is its first word, the other three 0. */
  has(a0: number, a1: number, a2: number, a3: number, kind: number): boolean {
    const slots = this.slots;
    let i = serviceHash(a0, a1, a2, a3, kind) & this.mask;
    while (this.used[i] === 1) {
      const at = i * Entry.WORDS;
      // The kind first (it holds the port); an IPv4 entry's other address words are 0, as the
      // IPv4 address's: its kind and first word are the whole compare.
      if (slots[at + Entry.KIND] === kind && slots[at] === a0 &&
        ((kind & Entry.KIND_IPV6) === 0 || (slots[at + 1] === a1 && slots[at + 2] === a2 && slots[at + 3] === a3))) return true;
      i = (i + 1) & this.mask;
    }
    return false;
  }
}
