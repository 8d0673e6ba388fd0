/**
 * A plain reference checker for medium histories (tens of operations): depth-first search over
 * "which operation takes effect next", memoized on (set of operations taken, register values),
 * with none of the production search's refinements (no forced observations, no dead-end test,
 * no twin groups, no dominance). Slower, but simple enough to trust.
 */
import type { HistoryEvent, Value } from '../../src/check/types.js';
import { apply, toOps } from './oracle-ops.js';

/** Whether the history is linearizable; undefined if more than `statesMax` states were needed. */
export function referenceLinearizable(events: readonly HistoryEvent[], statesMax = 2_000_000): boolean | undefined {
  const ops = toOps(events);
  const failed = new Set<string>();
  const taken = new Uint8Array(ops.length);
  const state = new Map<string, Value>();
  let explored = 0;
  const search = (): boolean | undefined => {
    const deadline = Math.min(...ops.map((op, i) => (taken[i] === 0 && op.ok ? op.ret : Infinity)));
    if (deadline === Infinity) return true;
    const memoKey = `${taken.join('')}|${JSON.stringify([...state.entries()].sort())}`;
    if (failed.has(memoKey)) return false;
    if (++explored > statesMax) return undefined;
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i];
      if (taken[i] === 1 || op.call > deadline) continue;
      const before = state.has(op.key) ? state.get(op.key)! : null;
      const after = apply(op, before);
      if (after === undefined) continue;
      taken[i] = 1;
      state.set(op.key, after);
      const found = search();
      taken[i] = 0;
      state.set(op.key, before);
      if (found !== false) return found;
    }
    failed.add(memoKey);
    return false;
  };
  return search();
}
