/**
 * An independent oracle for small histories: tries every order of the operations (and every
 * choice of which omissible ones take effect), straight from the definition. Exponential; for
 * at most ~8 operations. Shares no code with the checker's search.
 */
import type { HistoryEvent, Value } from '../../src/check/types.js';

interface Op {
  readonly f: 'read' | 'write' | 'cas';
  readonly key: string;
  readonly input: Value | readonly [Value, Value];
  readonly ok: boolean;
  readonly output: Value;
  readonly swapped: boolean;
  readonly call: number;
  /** Infinity when indeterminate (info or never completed). */
  readonly ret: number;
}

/** Whether the Jepsen-style history is linearizable (registers start null; fail = no effect). */
export function bruteForceLinearizable(events: readonly HistoryEvent[]): boolean {
  const ops = toOps(events);
  return orderExists(ops, new Map(), new Set());
}

function toOps(events: readonly HistoryEvent[]): Op[] {
  const open = new Map<number, { event: HistoryEvent; index: number }>();
  const ops: Op[] = [];
  const finish = (invoke: { event: HistoryEvent; index: number }, done: HistoryEvent | null, index: number): void => {
    if (done?.type === 'fail') return;
    const ok = done?.type === 'ok';
    ops.push({
      f: invoke.event.f,
      key: invoke.event.key,
      input: invoke.event.value ?? null,
      ok,
      output: ok && invoke.event.f === 'read' ? (done!.value as Value) : null,
      swapped: ok && done!.result === true,
      call: invoke.index,
      ret: ok ? index : Infinity,
    });
  };
  events.forEach((event, index) => {
    if (event.type === 'invoke') open.set(event.process, { event, index });
    else {
      finish(open.get(event.process)!, event, index);
      open.delete(event.process);
    }
  });
  for (const invoke of open.values()) finish(invoke, null, Infinity);
  return ops;
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

/** The value after `op` takes effect on `current`, or undefined if it cannot take effect there. */
function apply(op: Op, current: Value): Value | undefined {
  if (op.f === 'read') return !op.ok || op.output === current ? current : undefined;
  if (op.f === 'write') return op.input as Value;
  const [expected, next] = op.input as readonly [Value, Value];
  if (op.ok && !op.swapped) return current !== expected ? current : undefined;
  // An ok swap, or an indeterminate cas taking effect (not taking effect = leaving it unused).
  return current === expected ? next : undefined;
}
