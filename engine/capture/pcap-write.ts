// Writes classic pcap (2.4, microseconds, little-endian, Ethernet): what tshark, Wireshark and
// tcpdump read everywhere, and what readPcap reads back.
import fs from 'node:fs';
import { frameAt, type FrameSet } from './frame-set.js';
import { GLOBAL_HEADER, LINKTYPE_ETHERNET, PCAP_MAGIC, RECORD_HEADER, SNAPLEN } from './pcap-format.js';

/** The bytes of a pcap file; timestamps in µs since the epoch (default: frame i at i µs). */
export function encodePcap(frames: FrameSet, timestamps?: ArrayLike<number>): Buffer {
  let size = GLOBAL_HEADER;
  for (let i = 0; i < frames.count; i++) size += RECORD_HEADER + frames.lengths[i];
  const out = Buffer.alloc(size);
  out.writeUInt32LE(PCAP_MAGIC, 0);
  out.writeUInt16LE(2, 4);
  out.writeUInt16LE(4, 6);
  out.writeUInt32LE(SNAPLEN, 16);
  out.writeUInt32LE(LINKTYPE_ETHERNET, 20);
  let at = GLOBAL_HEADER;
  for (let i = 0; i < frames.count; i++) {
    const us = timestamps ? timestamps[i] : i;
    const length = frames.lengths[i];
    out.writeUInt32LE(Math.floor(us / 1e6), at);
    out.writeUInt32LE(us % 1e6, at + 4);
    out.writeUInt32LE(length, at + 8);
    out.writeUInt32LE(length, at + 12);
    out.set(frameAt(frames, i), at + RECORD_HEADER);
    at += RECORD_HEADER + length;
  }
  return out;
}

export function writePcap(file: string, frames: FrameSet, timestamps?: ArrayLike<number>): void {
  fs.writeFileSync(file, encodePcap(frames, timestamps));
}
