/**
 * Turns one append(entries, hardState) into the records that carry it:
 * entries packed into contiguous runs of at most `bodyBytesMax` body bytes,
 * then the hard state. Entries come first so that any prefix of the write
 * that survives a crash is a consistent state (format.ts, REPLAY SEMANTICS).
 */
import type { Entry, HardState } from '../core/types.js';
import { RecordType, recordExtentBytes } from './format.js';
import { WalTooLargeError } from './errors.js';
import { ENTRIES_BODY_FIXED_BYTES, entryEncodedBytes, hardStateBodyBytes, type RecordPlan } from './records.js';

export interface AppendPlan {
  readonly plans: RecordPlan[];
  /** Encoded size of every record, padding included. */
  readonly bytes: number;
}

export function planAppend(entries: readonly Entry[], hardState: HardState | null, bodyBytesMax: number): AppendPlan {
  const plans: RecordPlan[] = [];
  let bytes = 0;
  let from = 0;
  let bodyBytes = ENTRIES_BODY_FIXED_BYTES;
  for (let k = 0; k < entries.length; k++) {
    const entryBytes = entryEncodedBytes(entries[k]!);
    if (ENTRIES_BODY_FIXED_BYTES + entryBytes > bodyBytesMax) {
      throw new WalTooLargeError('recordBodyBytesMax', ENTRIES_BODY_FIXED_BYTES + entryBytes, bodyBytesMax);
    }
    if (bodyBytes + entryBytes > bodyBytesMax) {
      plans.push({ type: RecordType.Entries, entries, from, to: k });
      bytes += recordExtentBytes(bodyBytes);
      from = k;
      bodyBytes = ENTRIES_BODY_FIXED_BYTES;
    }
    bodyBytes += entryBytes;
  }
  if (entries.length > 0) {
    plans.push({ type: RecordType.Entries, entries, from, to: entries.length });
    bytes += recordExtentBytes(bodyBytes);
  }
  if (hardState !== null) {
    plans.push({ type: RecordType.HardState, hardState });
    bytes += recordExtentBytes(hardStateBodyBytes(hardState));
  }
  return { plans, bytes };
}
