/**
 * What the two test oracles (brute-force.ts, reference-search.ts) share: pairing
 * Jepsen-style events into operations, and the register's sequential semantics.
 * Written from the definitions; shares no code with the checker under test.
 */
import type { HistoryEvent, Value } from '../../src/check/types.js';

export interface Op {
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

/** Invoke/completion pairs as operations; `fail` ones are dropped (no effect). */
export function toOps(events: readonly HistoryEvent[]): Op[] {
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

/** The value after `op` takes effect on `current`, or undefined if it cannot take effect there. */
export function apply(op: Op, current: Value): Value | undefined {
  if (op.f === 'read') return !op.ok || op.output === current ? current : undefined;
  if (op.f === 'write') return op.input as Value;
  const [expected, next] = op.input as readonly [Value, Value];
  if (op.ok && !op.swapped) return current !== expected ? current : undefined;
  // An ok swap, or an indeterminate cas taking effect (not taking effect = leaving it unused).
  return current === expected ? next : undefined;
}
