/**
 * Construction helpers for the flat Message record. Every message is built by
 * newMessage() so all messages share one object shape (fast property access in
 * V8) and unused fields are zero/empty, as the contract in types.ts requires.
 */
import {
  MessageType,
  logIndex,
  term as toTerm,
  type Entry,
  type LogIndex,
  type Message,
  type NodeId,
  type Snapshot,
  type Term,
} from './types.js';

/** A Message whose fields may be set once while it is being built (never after it is queued). */
export type MessageDraft = { -readonly [K in keyof Message]: Message[K] };

export const NO_ENTRIES: readonly Entry[] = Object.freeze([]);
export const NO_BYTES: Uint8Array = new Uint8Array(0);
const ZERO_INDEX: LogIndex = logIndex(0);
const ZERO_TERM: Term = toTerm(0);

export function newMessage(type: MessageType, from: NodeId, to: NodeId, msgTerm: Term): MessageDraft {
  return {
    type,
    from,
    to,
    term: msgTerm,
    index: ZERO_INDEX,
    logTerm: ZERO_TERM,
    entries: NO_ENTRIES,
    commit: ZERO_INDEX,
    reject: false,
    rejectHint: ZERO_INDEX,
    rejectHintTerm: ZERO_TERM,
    context: NO_BYTES,
    snapshot: null,
  };
}

/** Marks a Vote request sent because of TimeoutNow: it bypasses leader stickiness. */
export const TRANSFER_CONTEXT: Uint8Array = new TextEncoder().encode('raft:transfer');

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function isTransferContext(context: Uint8Array): boolean {
  return bytesEqual(context, TRANSFER_CONTEXT);
}

/**
 * Heartbeat contexts carry a ReadIndex confirmation round id: 8 bytes,
 * big-endian, prefixed by a marker byte so a foreign context never decodes.
 */
const ROUND_MARKER = 0x52; // 'R'
const ROUND_CONTEXT_BYTES = 9;

export function encodeRoundContext(roundId: number): Uint8Array {
  const out = new Uint8Array(ROUND_CONTEXT_BYTES);
  out[0] = ROUND_MARKER;
  let hi = Math.floor(roundId / 2 ** 32);
  let lo = roundId >>> 0;
  for (let i = 8; i >= 5; i--) {
    out[i] = lo & 0xff;
    lo >>>= 8;
  }
  for (let i = 4; i >= 1; i--) {
    out[i] = hi & 0xff;
    hi >>>= 8;
  }
  return out;
}

/** The round id in a heartbeat context, or -1 when the context carries none. */
export function decodeRoundContext(context: Uint8Array): number {
  if (context.length !== ROUND_CONTEXT_BYTES || context[0] !== ROUND_MARKER) return -1;
  let hi = 0;
  let lo = 0;
  for (let i = 1; i <= 4; i++) hi = hi * 256 + context[i]!;
  for (let i = 5; i <= 8; i++) lo = lo * 256 + context[i]!;
  return hi * 2 ** 32 + lo;
}

/** Bytes an entry costs for flow control and size bounds: its payload. */
export function entryBytes(entry: Entry): number {
  return entry.data.length;
}

export function entriesBytes(entries: readonly Entry[]): number {
  let total = 0;
  for (let i = 0; i < entries.length; i++) total += entries[i]!.data.length;
  return total;
}

export function snapshotOf(metadata: Snapshot['metadata']): Snapshot {
  return { metadata, data: NO_BYTES };
}
