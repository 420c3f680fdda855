// Reads a classic pcap capture with pcap-parser into a FrameSet (one buffer, offsets, lengths)
// and the timestamps (µs since the epoch). Refuses other formats in one sentence.
import fs from 'node:fs';
import { Readable } from 'node:stream';
import pcapParser, { type PcapPacket } from 'pcap-parser';
import { LbError } from '../errors.js';
import { packFrames, type FrameSet } from './frame-set.js';
import { checkGlobalHeader, checkRecords } from './pcap-format.js';

export interface Capture extends FrameSet {
  /** Microseconds since the epoch, one per frame. */
  timestamps: Float64Array;
}

export async function readPcap(file: string): Promise<Capture> {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new LbError('ERR_CAPTURE_NOT_FOUND', `${file}: no such capture file.`, { cause: e });
    throw new LbError('ERR_CAPTURE_READ', `${file} cannot be read (${code ?? (e as Error).message}).`, { cause: e });
  }
  return decodePcap(bytes, file);
}

/** The frames of a pcap file already in memory (`name` names it in errors). */
export async function decodePcap(bytes: Uint8Array, name: string): Promise<Capture> {
  const little = checkGlobalHeader(name, bytes);
  checkRecords(name, bytes, little);
  const frames: Uint8Array[] = [];
  const stamps: number[] = [];
  await new Promise<void>((resolve, reject) => {
    const parser = pcapParser.parse(Readable.from([Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)]));
    parser.on('packet', (p: PcapPacket) => {
      frames.push(p.data);
      stamps.push(p.header.timestampSeconds * 1e6 + p.header.timestampMicroseconds);
    });
    parser.on('error', (e: Error) => reject(new LbError('ERR_CAPTURE_FORMAT', `${name} is not a readable pcap capture (${e.message}).`, { cause: e })));
    parser.on('end', () => resolve());
  });
  return { ...packFrames(frames), timestamps: Float64Array.from(stamps) };
}
