// The packet I/O layer: AF_PACKET ports, checksums, the replay backend, SO_REUSEPORT listeners.
export { PacketPort, FANOUT_MODES } from './port.js';
export type { PacketPortOptions, NextHop, PortStats, FanoutMode, TxMode } from './port.js';
export { checksum, ipv4HeaderChecksum, l4Checksum, completePartial, completeFramePartial, checksumUpdate16, rewriteBuffer } from './checksum.js';
export { boundPort, openReusePortListener } from './reuseport.js';
export { parseMac, formatMac } from './mac.js';
export * from './constants.js';
