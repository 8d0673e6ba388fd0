/**
 * Cheap reasoning before the search.
 *
 * findImpossibleObservation: an ok read of v (or an ok cas that swapped from v), v not null,
 * needs some operation writing v invoked before the observer completed. None → the key is not
 * linearizable, and that single operation is the whole explanation.
 *
 * pruneUnobserved: an operation that may be omitted (indeterminate or optional) and writes a
 * value v that no read returns and no cas expects can be dropped, provided the key has no ok cas
 * that failed its compare. Proof: take a linearization that uses it; remove it. Until the next
 * write, the state is now the previous value instead of v. Between the two, no read can sit (it
 * would return v), no swapping cas (it would expect v), and no failed-compare cas (there are
 * none); an omissible cas there did not apply under v (its expected value is not v), so we let it
 * be omitted again. Every other operation sees what it saw. So dropping never changes the verdict,
 * and it removes the indeterminate writes nobody saw, which are the costly ones to search.
 */
import { CAS_KEEP, CAS_SWAP, DEFINITE, type KeyOp, NULL_VALUE_ID, READ, writtenValue } from './register-model.js';

/** Index of the earliest-completing impossible observer, or -1. Assumes the register starts null. */
export function findImpossibleObservation(ops: readonly KeyOp[]): number {
  const firstWriteCall = new Map<number, number>();
  for (const op of ops) {
    const v = writtenValue(op);
    if (v < 0) continue;
    const seen = firstWriteCall.get(v);
    if (seen === undefined || op.callPos < seen) firstWriteCall.set(v, op.callPos);
  }
  let found = -1;
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i];
    if (op.flavor !== DEFINITE || (op.kind !== READ && op.kind !== CAS_SWAP) || op.a === NULL_VALUE_ID) continue;
    const writeCall = firstWriteCall.get(op.a);
    if (writeCall !== undefined && writeCall < op.retPos) continue;
    if (found < 0 || op.retPos < ops[found].retPos) found = i;
  }
  return found;
}

/** Returns `ops` without the omissible operations whose written value nobody observes. */
export function pruneUnobserved(ops: readonly KeyOp[]): readonly KeyOp[] {
  const observed = new Set<number>();
  for (const op of ops) {
    if (op.kind === CAS_KEEP && op.flavor === DEFINITE) return ops;
    if (op.kind === READ || op.kind === CAS_SWAP || op.kind === CAS_KEEP) observed.add(op.a);
  }
  let kept: KeyOp[] | null = null;
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i];
    const written = writtenValue(op);
    const droppable = op.flavor !== DEFINITE && written >= 0 && !observed.has(written);
    if (droppable && kept === null) kept = ops.slice(0, i);
    else if (!droppable && kept !== null) kept.push(op);
  }
  return kept ?? ops;
}

/** Whether any operation must take effect (if none, everything may be omitted: linearizable). */
export function hasDefinite(ops: readonly KeyOp[]): boolean {
  for (const op of ops) if (op.flavor === DEFINITE) return true;
  return false;
}
