// Classic pcap (the libpcap file format 2.4, microsecond timestamps, Ethernet link type): the
// constants, and the one-sentence refusal of everything else, checked before pcap-parser
// (which reads only this format and has no word for the others).
import { LbError } from '../errors.js';

export const PCAP_MAGIC = 0xa1b2c3d4;
export const PCAP_MAGIC_NANO = 0xa1b23c4d;
export const PCAPNG_MAGIC = 0x0a0d0d0a;
export const LINKTYPE_ETHERNET = 1;
export const GLOBAL_HEADER = 24;
export const RECORD_HEADER = 16;
export const SNAPLEN = 262144;

function formatError(file: string, what: string): LbError {
  return new LbError('ERR_CAPTURE_FORMAT', `${file} ${what}.`);
}

/** Checks the global header (first 24 bytes); returns whether the file is little-endian. */
export function checkGlobalHeader(file: string, head: Uint8Array): boolean {
  if (head.length < GLOBAL_HEADER) throw formatError(file, `is not a pcap capture (${head.length} bytes, shorter than a pcap header)`);
  const dv = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const be = dv.getUint32(0, false);
  const le = dv.getUint32(0, true);
  if (be === PCAPNG_MAGIC) throw formatError(file, 'is a pcapng capture; lbarray reads classic pcap only (convert it: editcap -F pcap IN OUT)');
  if (be === PCAP_MAGIC_NANO || le === PCAP_MAGIC_NANO) {
    throw formatError(file, 'has nanosecond timestamps; lbarray reads microsecond pcap only (convert it: editcap -F pcap IN OUT)');
  }
  if (be !== PCAP_MAGIC && le !== PCAP_MAGIC) throw formatError(file, 'is not a pcap capture (unknown magic number)');
  const little = le === PCAP_MAGIC;
  const major = dv.getUint16(4, little);
  const minor = dv.getUint16(6, little);
  if (major !== 2 || minor !== 4) throw formatError(file, `is pcap version ${major}.${minor}; lbarray reads version 2.4 only`);
  const link = dv.getUint32(20, little);
  if (link !== LINKTYPE_ETHERNET) throw formatError(file, `has link type ${link}; lbarray reads Ethernet captures (link type 1) only`);
  return little;
}

/** Checks that the records end exactly at the end of the file (pcap-parser drops a torn last record silently). */
export function checkRecords(file: string, head: Uint8Array, little: boolean): void {
  const dv = new DataView(head.buffer, head.byteOffset, head.byteLength);
  let at = GLOBAL_HEADER;
  while (at + RECORD_HEADER <= head.length) {
    const captured = dv.getUint32(at + 8, little);
    if (captured > SNAPLEN) throw formatError(file, `has a record of ${captured} bytes at byte ${at}, more than any capture holds`);
    at += RECORD_HEADER + captured;
  }
  if (at !== head.length) throw formatError(file, `is cut short: its last record ends ${at - head.length} bytes past the end of the file`);
}
