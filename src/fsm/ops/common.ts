/**
 * Shared shapes of op handlers. A handler reads and writes only through its
 * CommandTxn, never reads a clock or randomness, and returns either a result
 * or a rejection (its writes are dropped on rejection).
 */
import { encodeRecord } from '../codec.js';
import { rejection, type Rejection, type RejectionCode, type RejectionDetails } from '../errors.js';
import type { CommandTxn } from '../batch.js';
import type { StoreKey } from '../keys.js';
import type { OpResult } from '../results.js';

export type OpOutcome =
  { readonly ok: true; readonly result: OpResult } | { readonly ok: false; readonly rejection: Rejection };

export function ok(result: OpResult): OpOutcome {
  return { ok: true, result };
}

export function reject(
  code: RejectionCode,
  message: string,
  extra: { field?: string; details?: RejectionDetails } = {},
): OpOutcome {
  return { ok: false, rejection: rejection(code, message, extra) };
}

/** RevisionMismatch when `expected` is given and differs from the object's modRevision; else null. */
export function checkExpected(expected: number | undefined, actual: number, what: string): OpOutcome | null {
  if (expected === undefined || expected === actual) return null;
  return reject('RevisionMismatch', `${what} is at modRevision ${actual}, not the expected ${expected}`, {
    field: 'op.expectedModRevision',
    details: { expectedModRevision: expected, actualModRevision: actual },
  });
}

/** True when `record` encodes to exactly the bytes stored at `key` (so writing it would change nothing). */
export function sameAsStored(txn: CommandTxn, key: StoreKey, record: unknown): boolean {
  const stored = txn.get(key);
  return stored !== undefined && stored.equals(encodeRecord(record));
}
