/** Byte-array helpers shared by layers that must not import each other (transport, state machine, server). */

/** A Buffer view over the same memory as `bytes` (no copy); `bytes` itself when it is one. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
