/**
 * A plain reference checker for medium histories (tens of operations): depth-first search over
 * "which operation takes effect next", memoized on (set of operations taken, register values),
 * with none of the production search's refinements (no forced observations, no dead-end test,
 * no twin groups, no dominance). Slower, but simple enough to trust.
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
  readonly ret: number;
}

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

function toOps(events: readonly HistoryEvent[]): Op[] {
  const open = new Map<number, { event: HistoryEvent; index: number }>();
  const ops: Op[] = [];
  const finish = (invoke: { event: HistoryEvent; index: number }, done: HistoryEvent | null, index: number): void => {
    if (done?.type === 'fail') return;
    const ok = done?.type === 'ok';
    const f = invoke.event.f;
    ops.push({
      f,
      key: invoke.event.key,
      input: invoke.event.value ?? null,
      ok,
      output: ok && f === 'read' ? (done!.value as Value) : null,
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

function apply(op: Op, current: Value): Value | undefined {
  if (op.f === 'read') return !op.ok || op.output === current ? current : undefined;
  if (op.f === 'write') return op.input as Value;
  const [expected, next] = op.input as readonly [Value, Value];
  if (op.ok && !op.swapped) return current !== expected ? current : undefined;
  return current === expected ? next : undefined;
}
