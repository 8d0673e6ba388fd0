/**
 * Cheap 32-bit FNV-1a hashing, used for entry digests, log prefix hashes,
 * state-machine state hashes and the trace digest. Not cryptographic: the
 * simulator compares values produced by one deterministic run, where an
 * accidental 32-bit collision would at worst hide one violation in one seed.
 */

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

export const HASH_SEED = FNV_OFFSET;

/** Mixes one 32-bit integer into `h`, byte by byte. */
export function mixInt(h: number, value: number): number {
  let x = h;
  let v = value | 0;
  for (let i = 0; i < 4; i++) {
    x = Math.imul(x ^ (v & 0xff), FNV_PRIME);
    v >>>= 8;
  }
  return x >>> 0;
}

/** Mixes a non-negative integer that may exceed 32 bits (up to 2^53). */
export function mixNumber(h: number, value: number): number {
  const high = Math.floor(value / 0x100000000);
  return mixInt(mixInt(h, value >>> 0), high);
}

export function mixBytes(h: number, bytes: Uint8Array): number {
  let x = h;
  for (let i = 0; i < bytes.length; i++) x = Math.imul(x ^ bytes[i]!, FNV_PRIME);
  return mixInt(x >>> 0, bytes.length);
}

export function mixString(h: number, text: string): number {
  let x = h;
  for (let i = 0; i < text.length; i++) x = Math.imul(x ^ text.charCodeAt(i), FNV_PRIME);
  return mixInt(x >>> 0, text.length);
}

export function hashBytes(bytes: Uint8Array): number {
  return mixBytes(FNV_OFFSET, bytes);
}
