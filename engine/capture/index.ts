// Captures: classic pcap in (pcap-parser) and out, as FrameSets.
export { readPcap, decodePcap, type Capture } from './pcap-read.js';
export { encodePcap, writePcap } from './pcap-write.js';
export { packFrames, frameAt, withoutRunts, MIN_FRAME, type FrameSet } from './frame-set.js';
