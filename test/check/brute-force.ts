/**
 * An independent oracle for small histories: tries every order of the operations (and every
 * choice of which omissible ones take effect), straight from the definition. Exponential; for
 * at most ~8 operations. Shares no code with the checker's search.
 */
import type { HistoryEvent, Value } from '../../src/check/types.js';
import { apply, toOps, type Op } from './oracle-ops.js';

/** Whether the Jepsen-style history is linearizable (registers start null; fail = no effect). */
export function bruteForceLinearizable(events: readonly HistoryEvent[]): boolean {
  const ops = toOps(events);
  return orderExists(ops, new Map(), new Set());
}

function orderExists(ops: readonly Op[], state: Map<string, Value>, used: Set<number>): boolean {
  if (ops.every((op, i) => used.has(i) || !op.ok)) return true;
  for (let i = 0; i < ops.length; i++) {
    if (used.has(i)) continue;
    const op = ops[i];
    // Every unused ok operation that completed before this one was invoked must come first.
    if (ops.some((other, j) => !used.has(j) && other.ok && other.ret < op.call)) continue;
    const current = state.get(op.key) ?? null;
    const next = apply(op, current);
    if (next === undefined) continue;
    used.add(i);
    const saved = state.get(op.key);
    state.set(op.key, next);
    const found = orderExists(ops, state, used);
    used.delete(i);
    if (saved === undefined) state.delete(op.key);
    else state.set(op.key, saved);
    if (found) return true;
  }
  return false;
}
