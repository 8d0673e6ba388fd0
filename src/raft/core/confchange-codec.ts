/**
 * Encoding of ConfChange entries in the log. Pure (TextEncoder is not I/O).
 * Layout: JSON {"t": type, "n": nodeId, "c": base64 context?}. Small and rare,
 * so readability of a hex dump beats compactness.
 */
import { ConfChangeType, nodeId, type ConfChange } from './types.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function toBase64(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const b0 = bytes[i]!;
    const b1 = i + 1 < bytes.length ? bytes[i + 1]! : 0;
    const b2 = i + 2 < bytes.length ? bytes[i + 2]! : 0;
    out += BASE64[b0 >> 2]! + BASE64[((b0 & 3) << 4) | (b1 >> 4)]!;
    out += i + 1 < bytes.length ? BASE64[((b1 & 15) << 2) | (b2 >> 6)]! : '=';
    out += i + 2 < bytes.length ? BASE64[b2 & 63]! : '=';
  }
  return out;
}

function fromBase64(text: string): Uint8Array {
  const clean = text.replace(/=+$/, '');
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let bits = 0;
  let bitCount = 0;
  let o = 0;
  for (const ch of clean) {
    const v = BASE64.indexOf(ch);
    if (v < 0) throw new ConfChangeDecodeError(`invalid base64 character ${JSON.stringify(ch)} in context`);
    bits = (bits << 6) | v;
    bitCount += 6;
    if (bitCount >= 8) {
      bitCount -= 8;
      out[o++] = (bits >> bitCount) & 0xff;
    }
  }
  return out.subarray(0, o);
}

export class ConfChangeDecodeError extends Error {
  constructor(message: string) {
    super(`malformed conf change entry: ${message}`);
    this.name = 'ConfChangeDecodeError';
  }
}

export function encodeConfChange(change: ConfChange): Uint8Array {
  const record: { t: number; n: string; c?: string } = { t: change.type, n: change.nodeId };
  if (change.context !== undefined && change.context.length > 0) record.c = toBase64(change.context);
  return encoder.encode(JSON.stringify(record));
}

export function decodeConfChange(data: Uint8Array): ConfChange {
  let record: unknown;
  try {
    record = JSON.parse(decoder.decode(data));
  } catch (err) {
    throw new ConfChangeDecodeError(`not UTF-8 JSON (${(err as Error).message})`);
  }
  if (typeof record !== 'object' || record === null) throw new ConfChangeDecodeError('not an object');
  const { t, n, c } = record as { t?: unknown; n?: unknown; c?: unknown };
  if (typeof t !== 'number' || !(t in ConfChangeType)) throw new ConfChangeDecodeError(`unknown type ${String(t)}`);
  if (typeof n !== 'string' || n.length === 0) throw new ConfChangeDecodeError('missing node id');
  if (c !== undefined && typeof c !== 'string') throw new ConfChangeDecodeError('context is not a string');
  const change: ConfChange = { type: t as ConfChangeType, nodeId: nodeId(n) };
  return c === undefined ? change : { ...change, context: fromBase64(c) };
}
