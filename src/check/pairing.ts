/**
 * Pairs each invoke with its completion, per process. Invariant of a well-formed history: a
 * process has at most one operation outstanding; a completion answers the outstanding invoke of
 * its process with the same f and key. An `info` completion closes the operation (its effect stays
 * unknown), so the process may invoke again, as Jepsen's clients do after a timeout.
 */
import { HistoryParseError } from './errors.js';
import type { HistoryEvent, OpFunction, Value } from './types.js';

export type Outcome = 'ok' | 'fail' | 'info' | 'pending';

export interface PairedOperation {
  readonly process: number;
  readonly f: OpFunction;
  readonly key: string;
  /** write: the value; cas: [expected, new]; read: null (unused). */
  readonly input: Value | readonly [Value, Value];
  outcome: Outcome;
  /** ok read: the value read; otherwise null. */
  output: Value;
  /** ok cas: whether it swapped. */
  swapped: boolean;
  readonly invokeIndex: number;
  /** Index of the completion event; -1 while pending (never completed). */
  completeIndex: number;
}

export interface PairingSource {
  readonly fileName: string;
  readonly lineNumbers?: readonly number[];
}

/** Returns the operations in invoke order; throws HistoryParseError on a malformed pairing. */
export function pairOperations(events: readonly HistoryEvent[], source: PairingSource): PairedOperation[] {
  const operations: PairedOperation[] = [];
  const outstanding = new Map<number, PairedOperation>();
  for (let index = 0; index < events.length; index++) {
    const event = events[index];
    const fail = (reason: string): never => {
      throw new HistoryParseError(source.fileName, source.lineNumbers?.[index] ?? index + 1, reason);
    };
    checkShape(event, fail);
    const open = outstanding.get(event.process);
    if (event.type === 'invoke') {
      if (open !== undefined) {
        const since = where(open.invokeIndex, source);
        fail(`process ${event.process} invokes while its ${open.f} of ${since} is outstanding`);
      }
      const op = newOperation(event, index);
      operations.push(op);
      outstanding.set(event.process, op);
      continue;
    }
    if (open === undefined) fail(`process ${event.process} completes (${event.type}) with no operation outstanding`);
    const op = open as PairedOperation;
    if (event.f !== op.f || event.key !== op.key) {
      const invoked = `${where(op.invokeIndex, source)} (${op.f} of key ${JSON.stringify(op.key)})`;
      fail(`completion ${event.f} of key ${JSON.stringify(event.key)} does not match the invoke at ${invoked}`);
    }
    if (op.f !== 'read' && event.value !== undefined && !sameInput(op.input, event.value)) {
      fail(`completion value ${JSON.stringify(event.value)} differs from the invoke's ${JSON.stringify(op.input)}`);
    }
    complete(op, event, index);
    outstanding.delete(event.process);
  }
  return operations;
}

/**
 * The fields the pairing relies on. parseHistory has checked them for files already; events built
 * in memory (the simulator) are checked here.
 */
function checkShape(event: HistoryEvent, fail: (reason: string) => never): void {
  if (event.f === 'cas' && event.type === 'invoke' && !(Array.isArray(event.value) && event.value.length === 2)) {
    fail('cas invoke must carry [expected, new]');
  }
  if (event.f === 'write' && event.type === 'invoke' && (event.value === undefined || Array.isArray(event.value))) {
    fail('write invoke must carry a value');
  }
  if (event.f === 'read' && event.type === 'ok' && (event.value === undefined || Array.isArray(event.value))) {
    fail('ok read must carry the value read');
  }
  if (event.f === 'cas' && event.type === 'ok' && typeof event.result !== 'boolean') {
    fail('ok cas must carry "result"');
  }
}

function newOperation(event: HistoryEvent, index: number): PairedOperation {
  const input = event.f === 'read' ? null : (event.value as Value | readonly [Value, Value]);
  return {
    process: event.process,
    f: event.f,
    key: event.key,
    input,
    outcome: 'pending',
    output: null,
    swapped: false,
    invokeIndex: index,
    completeIndex: -1,
  };
}

function complete(op: PairedOperation, event: HistoryEvent, index: number): void {
  op.outcome = event.type === 'ok' ? 'ok' : event.type === 'fail' ? 'fail' : 'info';
  op.completeIndex = index;
  if (event.type !== 'ok') return;
  if (op.f === 'read') op.output = event.value as Value;
  if (op.f === 'cas') op.swapped = event.result === true;
}

function sameInput(a: Value | readonly [Value, Value], b: Value | readonly [Value, Value]): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a[0] === b[0] && a[1] === b[1];
  return a === b;
}

function where(index: number, source: PairingSource): string {
  return `line ${source.lineNumbers?.[index] ?? index + 1}`;
}
