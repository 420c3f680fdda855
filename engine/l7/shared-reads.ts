// Reads of accepted plain-TCP client sockets into one buffer per thread, with no Buffer and no
// 'data' event per read. Node 20 offers this (`onread`) only to sockets it dials, so it is turned on
// here the way net.Socket's constructor does it: its kBuffer and kBufferCb fields, then the
// handle's useUserBuffer (fields of Node's own, present from Node 12 to 22; looked up by name and
// checked, and where they are not as expected the caller keeps 'data' events). A TLS socket's
// handle (TLSWrap) copies its decrypted bytes into the same buffer.
// The buffer is shared by every such socket of the thread: a read's bytes are valid only until its
// callback returns, so whatever the caller keeps or writes on it must be a copy.
import net from 'node:net';

/** Node's own read size: large bodies take no more syscalls than with 'data' events. */
export const READ_BYTES = 65536;
const buffer = Buffer.allocUnsafeSlow(READ_BYTES);

type Fields = { kBuffer: symbol; kBufferCb: symbol };
type Handle = { useUserBuffer?: (buf: Uint8Array) => void } | null | undefined;

/** Node's per-socket onread fields, or undefined when this Node does not have them. */
const fields: Fields | undefined = (() => {
  const probe = new net.Socket();
  const find = (name: string) => Object.getOwnPropertySymbols(probe).find((s) => s.description === name);
  const kBuffer = find('kBuffer');
  const kBufferCb = find('kBufferCb');
  const own = probe as unknown as Record<symbol, unknown>;
  return kBuffer !== undefined && kBufferCb !== undefined && own[kBuffer] === null && own[kBufferCb] === null ? { kBuffer, kBufferCb } : undefined;
})();

/** True when `b` is (a view of) the shared read buffer: valid only during the read's callback. */
export function isSharedRead(b: Buffer): boolean {
  return b.buffer === buffer.buffer;
}

/**
 * Delivers `socket`'s reads to `onRead` as views of the shared buffer; false (nothing changed)
 * when this Node's internals are not as expected or bytes already wait in the socket's stream.
 * Call it before the first read is delivered (in the server's connection callback; for TLS, in
 * 'secureConnection'). `onRead` returning false stops reading (socket.resume() restarts).
 */
export function readShared(socket: net.Socket, onRead: (chunk: Buffer) => boolean): boolean {
  const handle = (socket as unknown as { _handle: Handle })._handle;
  const own = socket as unknown as Record<symbol, unknown>;
  if (fields === undefined || typeof handle?.useUserBuffer !== 'function' || own[fields.kBuffer] !== null || socket.readableLength !== 0) return false;
  own[fields.kBuffer] = buffer;
  own[fields.kBufferCb] = (n: number) => onRead(buffer.subarray(0, n));
  handle.useUserBuffer(buffer);
  return true;
}
