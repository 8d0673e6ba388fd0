/**
 * A second oracle, at the level of compiled operations (kind, flavor, positions), for checking
 * the window shrinker's claims, which involve OPTIONAL operations and arbitrary initial states.
 * Tries every order straight from the definition; shares nothing with the search but the
 * register step function's meaning (re-implemented here).
 */
import { CAS_KEEP, CAS_SWAP, DEFINITE, INDETERMINATE, type KeyOp, READ, WRITE } from '../../src/check/register-model.js';

export function keyOpsLinearizable(ops: readonly KeyOp[], initialStates: readonly number[]): boolean {
  return initialStates.some((initial) => orderExists(ops, initial, new Set()));
}

function orderExists(ops: readonly KeyOp[], state: number, done: Set<number>): boolean {
  if (ops.every((op, i) => done.has(i) || op.flavor !== DEFINITE)) return true;
  for (let i = 0; i < ops.length; i++) {
    if (done.has(i)) continue;
    const op = ops[i];
    // Taking `op` now: every unresolved ok op that completed before its invoke would be skipped.
    if (ops.some((other, j) => !done.has(j) && other.flavor === DEFINITE && other.retPos < op.callPos)) continue;
    const next = step(op, state);
    if (next === null) continue;
    // Optional ops that completed before `op` was invoked can no longer take effect: dropped.
    const dropped = ops.map((other, j) => j).filter(
      (j) => !done.has(j) && j !== i && ops[j].flavor !== DEFINITE && ops[j].flavor !== INDETERMINATE && ops[j].retPos < op.callPos,
    );
    done.add(i);
    for (const j of dropped) done.add(j);
    const found = orderExists(ops, next, done);
    done.delete(i);
    for (const j of dropped) done.delete(j);
    if (found) return true;
  }
  return false;
}

function step(op: KeyOp, state: number): number | null {
  switch (op.kind) {
    case READ:
      return state === op.a ? state : null;
    case WRITE:
      return op.a;
    case CAS_SWAP:
      return state === op.a ? op.b : null;
    case CAS_KEEP:
      return state !== op.a ? state : null;
    default:
      throw new Error(`unknown kind ${op.kind}`);
  }
}
