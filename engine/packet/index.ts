// Packet codecs: a zero-copy parser with reasons, and builders that make valid frames.
export { Reason, REASON_NAMES } from './reason.js';
export * from './parsed.js';
export { parseFrame, parseQuoted } from './parse.js';
export { buildFrame, buildBody } from './build.js';
export { buildL4 } from './build-l4.js';
export { describeFrame, vlanTags } from './describe.js';
export { fragmentIpv4, fragmentIpv6 } from './fragment.js';
export { compareAddresses, ipBytes, ipText, macBytes, macText } from './address.js';
export { pseudoHeaderChecksum } from './checksums.js';
export * from './make.js';
export type * from './spec.js';
