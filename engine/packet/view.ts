// One DataView per buffer, made again only when the buffer changes (a ring or a capture buffer
// stays the same for a whole run), so parsing a frame allocates nothing.
import { viewOf } from '../scheduler/flow-key.js';

let lastBuf: Uint8Array | null = null;
let lastView: DataView = new DataView(new ArrayBuffer(0));

export function viewFor(buf: Uint8Array): DataView {
  if (buf !== lastBuf) {
    lastBuf = buf;
    lastView = viewOf(buf);
  }
  return lastView;
}
