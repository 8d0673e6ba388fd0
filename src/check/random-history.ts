/**
 * Seeded generators of register histories, for tests and benchmarks of the checker.
 *
 * randomLinearizableHistory simulates real atomic registers: each operation is invoked, takes
 * effect at one instant of the simulation, and completes later; processes advance in a random
 * interleaving (some slower than others), so concurrency and durations vary. Some operations
 * fail (no effect), some end `info` (with or without effect; the process is then replaced by a
 * fresh one, as Jepsen does), and some are still outstanding at the end. Every such history is
 * linearizable by construction.
 *
 * staleReadMutation turns one into a history that is certainly not linearizable (see there).
 */
import type { HistoryEvent, Value } from './types.js';

export interface RandomHistoryOptions {
  readonly seed: number;
  /** Completed-or-not operations to invoke in total. */
  readonly operations: number;
  /** Concurrent processes (a process has at most one operation outstanding). */
  readonly processes: number;
  readonly keys: number;
  /** Writes draw from [0, valueRange); 0 means every write and cas writes a fresh value. */
  readonly valueRange: number;
  /** Probabilities of an operation's fate; the rest complete ok. */
  readonly failRate: number;
  readonly infoRate: number;
  /** Mix of functions: reads, writes, the rest cas. */
  readonly readRate: number;
  readonly writeRate: number;
}

export const DEFAULT_RANDOM_HISTORY: Omit<RandomHistoryOptions, 'seed'> = {
  operations: 200,
  processes: 5,
  keys: 1,
  valueRange: 5,
  failRate: 0.05,
  infoRate: 0.05,
  readRate: 0.5,
  writeRate: 0.3,
};

/** xorshift32: small, fast, seeded. */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = (seed ^ 0x9e3779b9) >>> 0 || 1;
  }
  /** Uniform in [0, 1). */
  next(): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state / 4294967296;
  }
  int(bound: number): number {
    return Math.floor(this.next() * bound);
  }
}

type Phase = 'idle' | 'invoked' | 'applied';

interface Worker {
  process: number;
  phase: Phase;
  /** Relative speed: chance to act when picked. */
  speed: number;
  f: 'read' | 'write' | 'cas';
  key: string;
  value: Value | [Value, Value];
  fate: 'ok' | 'fail' | 'info';
  result: Value | boolean;
}

export function randomLinearizableHistory(options: RandomHistoryOptions): HistoryEvent[] {
  const rng = new Rng(options.seed);
  const registers = new Map<string, Value>();
  const events: HistoryEvent[] = [];
  let nextProcess = options.processes;
  let freshValue = 1;
  const pickValue = (): Value => (options.valueRange === 0 ? freshValue++ : rng.int(options.valueRange));
  const workers: Worker[] = Array.from({ length: options.processes }, (_, process) => ({
    process,
    phase: 'idle',
    speed: 0.2 + 0.8 * rng.next(),
    f: 'read',
    key: 'k0',
    value: null,
    fate: 'ok',
    result: null,
  }));
  const busy = (): boolean => invoked < options.operations || workers.some((w) => w.phase !== 'idle');
  let invoked = 0;
  // Each step moves one worker one phase; every operation takes 3 steps, so this bound suffices.
  const stepsMax = 3 * options.operations * 100 + 1000;
  for (let step = 0; step < stepsMax && busy(); step++) {
    const worker = workers[rng.int(workers.length)];
    if (rng.next() > worker.speed) continue;
    if (worker.phase === 'idle') {
      if (invoked >= options.operations) continue;
      invoked++;
      invoke(worker, rng, options, pickValue);
      const value = worker.f === 'read' ? null : worker.value;
      events.push({ process: worker.process, type: 'invoke', f: worker.f, key: worker.key, value });
      // A few operations stay outstanding forever (maybe with effect): their process never acts again.
      if (rng.next() < options.infoRate / 4) {
        worker.fate = 'info';
        apply(worker, registers, rng);
        retire(worker, () => nextProcess++);
      }
      continue;
    }
    if (worker.phase === 'invoked') {
      apply(worker, registers, rng);
      continue;
    }
    events.push(completion(worker));
    if (worker.fate === 'info') retire(worker, () => nextProcess++);
    worker.phase = 'idle';
  }
  return events;
}

function invoke(worker: Worker, rng: Rng, options: RandomHistoryOptions, pickValue: () => Value): void {
  const roll = rng.next();
  worker.f = roll < options.readRate ? 'read' : roll < options.readRate + options.writeRate ? 'write' : 'cas';
  worker.key = `k${rng.int(options.keys)}`;
  if (worker.f === 'read') worker.value = null;
  else worker.value = worker.f === 'write' ? pickValue() : [casExpected(rng, options), pickValue()];
  const fate = rng.next();
  worker.fate = fate < options.failRate ? 'fail' : fate < options.failRate + options.infoRate ? 'info' : 'ok';
  worker.phase = 'invoked';
}

/** cas expectations hit the current value often enough to swap sometimes. */
function casExpected(rng: Rng, options: RandomHistoryOptions): Value {
  if (options.valueRange === 0) return rng.next() < 0.2 ? null : 1 + rng.int(8);
  return rng.next() < 0.1 ? null : rng.int(options.valueRange);
}

/** The linearization point. A failed op has no effect; an info op takes effect half the time. */
function apply(worker: Worker, registers: Map<string, Value>, rng: Rng): void {
  worker.phase = 'applied';
  if (worker.fate === 'fail' || (worker.fate === 'info' && rng.next() < 0.5)) return;
  const current = registers.get(worker.key) ?? null;
  if (worker.f === 'read') worker.result = current;
  else if (worker.f === 'write') registers.set(worker.key, worker.value as Value);
  else {
    const [expected, next] = worker.value as [Value, Value];
    worker.result = current === expected;
    if (current === expected) registers.set(worker.key, next);
  }
}

function completion(worker: Worker): HistoryEvent {
  const base = { process: worker.process, type: worker.fate, f: worker.f, key: worker.key } as const;
  if (worker.f === 'read') return { ...base, value: worker.fate === 'ok' ? (worker.result as Value) : null };
  if (worker.f === 'write') return { ...base, value: worker.value as Value };
  const value = worker.value as [Value, Value];
  return worker.fate === 'ok' ? { ...base, value, result: worker.result as boolean } : { ...base, value };
}

/** After an info, Jepsen replaces the process: the old id never acts again. */
function retire(worker: Worker, newProcess: () => number): void {
  worker.process = newProcess();
  worker.phase = 'idle';
}

/**
 * Makes a linearizable history certainly non-linearizable by changing what one ok read R
 * returned to a stale value v: an ok write W2 of another value completed before R was invoked,
 * and every operation that may write v and was invoked before R completed is ok and completed
 * before W2 was invoked. Every linearization then puts all those writers of v before W2 and W2
 * before R (later writers of v must follow R), so R cannot return v. Returns null if no read
 * has such a value.
 */
export function staleReadMutation(events: readonly HistoryEvent[], rng: Rng): HistoryEvent[] | null {
  const index = indexWrites(events);
  const candidates: Array<{ readIndex: number; value: Value }> = [];
  const invokes = new Map<number, number>();
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    if (e.type === 'invoke') invokes.set(e.process, i);
    if (e.type !== 'ok' || e.f !== 'read') continue;
    const keyIndex = index.get(e.key);
    if (keyIndex === undefined) continue;
    const okWrites = keyIndex.okWrites;
    const w2 = lastCompletedBefore(okWrites, invokes.get(e.process)!);
    if (w2 < 0) continue;
    // The stale value: that of one of the last ok writes completed before W2 was invoked.
    const last = lastCompletedBefore(okWrites, okWrites[w2].invoke);
    for (let w = last; w >= 0 && w > last - STALE_VALUES_TRIED; w--) {
      const v = okWrites[w].value;
      if (v === e.value || v === okWrites[w2].value) continue;
      if (latestCompletionOfWriters(keyIndex.writers.get(v)!, i) < okWrites[w2].invoke) {
        candidates.push({ readIndex: i, value: v });
        break;
      }
    }
  }
  if (candidates.length === 0) return null;
  const chosen = candidates[rng.int(candidates.length)];
  const mutated = events.slice();
  mutated[chosen.readIndex] = { ...events[chosen.readIndex], value: chosen.value };
  return mutated;
}

/** How many earlier writes staleReadMutation considers per read for a stale value. */
const STALE_VALUES_TRIED = 8;

interface CompletedWrite {
  readonly value: Value;
  readonly invoke: number;
  /** Infinity when the operation was not ok (it may take effect at any time). */
  readonly complete: number;
}

interface KeyWrites {
  /** Ok writes, by completion. */
  readonly okWrites: CompletedWrite[];
  /** Every operation that may write a value (not failed, not a failed compare). */
  readonly writers: Map<Value, WritersOfValue>;
}

/** Index of the last write (sorted by completion) completed before `position`, or -1. */
function lastCompletedBefore(writes: readonly CompletedWrite[], position: number): number {
  let lo = 0;
  let hi = writes.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (writes[mid].complete < position) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/** The latest completion among writers (by invoke, with prefix maxima) invoked before `position`. */
function latestCompletionOfWriters(writers: WritersOfValue, position: number): number {
  let lo = 0;
  let hi = writers.invokes.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (writers.invokes[mid] < position) lo = mid + 1;
    else hi = mid;
  }
  return lo === 0 ? -1 : writers.latestComplete[lo - 1];
}

interface WritersOfValue {
  /** Invoke positions, increasing. */
  readonly invokes: number[];
  /** latestComplete[i]: the latest completion among the first i + 1 writers. */
  readonly latestComplete: number[];
}

function indexWrites(events: readonly HistoryEvent[]): Map<string, KeyWrites> {
  const open = new Map<number, number>();
  const okWrites = new Map<string, CompletedWrite[]>();
  const writers = new Map<string, Map<Value, CompletedWrite[]>>();
  const record = (e: HistoryEvent, invoke: number, complete: number, ok: boolean): void => {
    const value = e.f === 'write' ? (e.value as Value) : (e.value as readonly [Value, Value])[1];
    const write = { value, invoke, complete: ok ? complete : Infinity };
    if (ok && e.f === 'write') {
      // Recorded at completion, so each list is in completion order.
      const list = okWrites.get(e.key) ?? [];
      list.push(write);
      okWrites.set(e.key, list);
    }
    const ofKey = writers.get(e.key) ?? new Map<Value, CompletedWrite[]>();
    writers.set(e.key, ofKey);
    const list = ofKey.get(value) ?? [];
    list.push(write);
    ofKey.set(value, list);
  };
  const invokeEvents = new Map<number, HistoryEvent>();
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    if (e.type === 'invoke') {
      open.set(e.process, i);
      invokeEvents.set(e.process, e);
      continue;
    }
    const invoke = open.get(e.process)!;
    open.delete(e.process);
    if (e.f === 'read' || e.type === 'fail' || (e.f === 'cas' && e.type === 'ok' && e.result !== true)) continue;
    record(invokeEvents.get(e.process)!, invoke, i, e.type === 'ok');
  }
  for (const [process, invoke] of open) {
    const e = invokeEvents.get(process)!;
    if (e.f !== 'read') record(e, invoke, Infinity, false);
  }
  const byKey = new Map<string, KeyWrites>();
  for (const [key, ofKey] of writers) {
    const indexed = new Map<Value, WritersOfValue>();
    for (const [value, list] of ofKey) {
      list.sort((x, y) => x.invoke - y.invoke);
      let latest = -1;
      const latestComplete = list.map((w) => (latest = Math.max(latest, w.complete)));
      indexed.set(value, { invokes: list.map((w) => w.invoke), latestComplete });
    }
    byKey.set(key, { okWrites: okWrites.get(key) ?? [], writers: indexed });
  }
  return byKey;
}
