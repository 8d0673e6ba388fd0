/** Turns a non-linearizable window into data (WindowOperation) and into readable lines. */
import type { PairedOperation } from './pairing.js';
import type { HistoryEvent, Value, WindowOperation } from './types.js';

export type WindowReason =
  /** The operations cannot be ordered (proven); null cut: from the absent register. */
  | { readonly kind: 'unordered'; readonly cutEventIndex: number | null }
  /** One operation observes a value nothing could have written before it completed. */
  | { readonly kind: 'impossible-observation' }
  /** Budget ran out before a window was proven: the operations around the stuck completion. */
  | { readonly kind: 'unverified'; readonly stuckCompleteIndex: number };

/** Context lines shown at most (one per observed value). */
const CONTEXT_OPS_MAX = 4;

export interface Positions {
  /** 1-based line (or event number) of an event index. */
  label(eventIndex: number): string;
}

export function positionsOf(lineNumbers: readonly number[] | undefined): Positions {
  if (lineNumbers === undefined) return { label: (index) => `event ${index + 1}` };
  return { label: (index) => `line ${lineNumbers[index]}` };
}

export function windowOperation(op: PairedOperation, lineNumbers: readonly number[] | undefined): WindowOperation {
  const line = (index: number): number => lineNumbers?.[index] ?? index + 1;
  const value = op.f === 'read' ? op.output : op.input;
  const base = {
    process: op.process,
    f: op.f,
    key: op.key,
    value,
    invokeLine: line(op.invokeIndex),
    completeLine: line(op.completeIndex),
  };
  return op.f === 'cas' ? { ...base, result: op.swapped } : base;
}

/**
 * The header line, one line per operation of the window (the completion event as JSON, and
 * where it was), then, for context, the last write of each value the window observes.
 */
export function windowLines(
  key: string,
  reason: WindowReason,
  ops: readonly PairedOperation[],
  keyOps: readonly PairedOperation[],
  positions: Positions,
): string[] {
  const lines = [header(key, reason, ops, positions), ...ops.map((op) => operationLine(op, positions))];
  if (reason.kind !== 'unordered') return lines;
  const context = lastWritesObserved(ops, keyOps);
  if (context.length > 0) {
    lines.push('  for context, the last write of each value they observe, invoked before they completed:');
    for (const op of context) lines.push(`  ${operationLine(op, positions)}`);
  }
  return lines;
}

function operationLine(op: PairedOperation, positions: Positions): string {
  const type = op.outcome === 'pending' ? 'invoke' : op.outcome;
  const value = op.f === 'read' ? op.output : op.input;
  const event: HistoryEvent = {
    process: op.process,
    type,
    f: op.f,
    key: op.key,
    value,
    ...(op.f === 'cas' && op.outcome === 'ok' ? { result: op.swapped } : {}),
  };
  const end = op.outcome === 'pending' ? 'never completed' : `${op.outcome} ${positions.label(op.completeIndex)}`;
  return `  ${JSON.stringify(event)}  (invoke ${positions.label(op.invokeIndex)}, ${end})`;
}

/** For each value the window observes: the latest other operation that may have written it. */
function lastWritesObserved(ops: readonly PairedOperation[], keyOps: readonly PairedOperation[]): PairedOperation[] {
  const window = new Set(ops);
  const lastComplete = Math.max(...ops.map((op) => op.completeIndex));
  const observed = new Set<Value>();
  for (const op of ops) {
    const swappedFrom = op.f === 'cas' && op.swapped ? (op.input as readonly Value[])[0] : null;
    const seen = op.f === 'read' ? op.output : swappedFrom;
    if (seen !== null) observed.add(seen);
  }
  const latest = new Map<Value, PairedOperation>();
  for (const op of keyOps) {
    if (op.invokeIndex >= lastComplete) break;
    if (window.has(op) || op.outcome === 'fail' || (op.f === 'cas' && op.outcome === 'ok' && !op.swapped)) continue;
    if (op.f === 'read') continue;
    const written = op.f === 'write' ? (op.input as Value) : (op.input as readonly Value[])[1];
    if (observed.has(written)) latest.set(written, op);
  }
  return [...latest.values()].sort((x, y) => x.invokeIndex - y.invokeIndex).slice(-CONTEXT_OPS_MAX);
}

function header(key: string, reason: WindowReason, ops: readonly PairedOperation[], positions: Positions): string {
  const name = `key ${JSON.stringify(key)}`;
  switch (reason.kind) {
    case 'impossible-observation': {
      const op = ops[0];
      const seen = op.f === 'read' ? op.output : (op.input as readonly unknown[])[0];
      return `${name}: observes ${JSON.stringify(seen)}, which no operation invoked before it completed writes:`;
    }
    case 'unordered': {
      const count = ops.length === 1 ? 'this operation' : `these ${ops.length} operations`;
      const start = reason.cutEventIndex === null
        ? 'starting from an absent register'
        : `whatever the register held before ${positions.label(reason.cutEventIndex)}`;
      return `${name}: ${count} cannot be ordered, ${start} (other operations cannot help):`;
    }
    case 'unverified':
      return (
        `${name}: no order gets past the completion at ${positions.label(reason.stuckCompleteIndex)}; ` +
        'operations around it (window not minimized in time):'
      );
  }
}
