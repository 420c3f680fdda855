// Frames are built and parsed by engine/packet, addresses converted by engine/packet/address.ts.
// These names stay only for cluster-part.ts, vrrp-state.ts and test/cluster/vrrp-state.test.ts,
// which are being changed elsewhere: delete this file once they import from ../packet/index.js.
import { ipText } from '../packet/address.js';

export { compareAddresses, ipBytes as addressBytes } from '../packet/address.js';

export function addressText(b: Uint8Array): string {
  return ipText(b);
}
