/**
 * checkHistory: pairs the events, splits them per key (registers are independent, so a history
 * is linearizable iff each key's sub-history is: P-compositionality), and searches each key,
 * smallest first so a cheap violation is found before an expensive key eats the budget.
 */
import { CompiledKey } from './compiled-key.js';
import { assert, CheckOptionsError } from './errors.js';
import { type WindowReason, positionsOf, windowLines, windowOperation } from './format.js';
import { MemoTable } from './memo.js';
import { type PairedOperation, pairOperations } from './pairing.js';
import { findImpossibleObservation, hasDefinite, pruneUnobserved } from './prune.js';
import { compileRegisterOps, type KeyOp, NULL_VALUE_ID, ValueTable } from './register-model.js';
import { LINEARIZABLE, searchKey, TIMEOUT } from './search.js';
import type { CheckOptions, HistoryEvent, Verdict } from './types.js';
import { shrinkWindow } from './window.js';

const WINDOW_BUDGET_MS_DEFAULT = 2_000;
/** The window shrinker always gets at least this long, even past the caller's deadline. */
const WINDOW_BUDGET_MS_MIN = 100;

type KeyOutcome =
  | { readonly kind: 'linearizable' }
  | { readonly kind: 'timeout' }
  | { readonly kind: 'violation'; readonly ops: readonly PairedOperation[]; readonly reason: WindowReason };

export function checkHistory(events: readonly HistoryEvent[], options: CheckOptions): Verdict {
  validateOptions(options);
  const deadlineMs = performance.now() + options.timeoutMs;
  const operations = pairOperations(events, { fileName: '<history>', lineNumbers: options.lineNumbers });
  const byKey = new Map<string, PairedOperation[]>();
  for (const op of operations) {
    const list = byKey.get(op.key);
    if (list === undefined) byKey.set(op.key, [op]);
    else list.push(op);
  }
  const keys = [...byKey.keys()].sort((x, y) => byKey.get(x)!.length - byKey.get(y)!.length);
  let timedOutKey: string | null = null;
  for (const key of keys) {
    const outcome = checkKey(byKey.get(key)!, deadlineMs, options.windowBudgetMs ?? WINDOW_BUDGET_MS_DEFAULT);
    if (outcome.kind === 'violation') {
      const positions = positionsOf(options.lineNumbers);
      return {
        kind: 'not-linearizable',
        key,
        window: windowLines(key, outcome.reason, outcome.ops, byKey.get(key)!, positions),
        operations: outcome.ops.map((op) => windowOperation(op, options.lineNumbers)),
      };
    }
    if (outcome.kind === 'timeout') timedOutKey ??= key;
  }
  if (timedOutKey === null) return { kind: 'linearizable' };
  const reason = `timeout after ${options.timeoutMs} ms (key ${JSON.stringify(timedOutKey)} undecided)`;
  return { kind: 'unknown', reason };
}

function validateOptions(options: CheckOptions): void {
  if (options.model !== undefined && options.model !== 'register') {
    throw new CheckOptionsError('model', `unknown model ${JSON.stringify(options.model)} (known: register)`);
  }
  if (!(options.timeoutMs >= 0)) throw new CheckOptionsError('timeoutMs', `must be >= 0, got ${options.timeoutMs}`);
  if (options.windowBudgetMs !== undefined && !(options.windowBudgetMs >= 0)) {
    throw new CheckOptionsError('windowBudgetMs', `must be >= 0, got ${options.windowBudgetMs}`);
  }
}

function checkKey(paired: readonly PairedOperation[], deadlineMs: number, windowBudgetMs: number): KeyOutcome {
  const values = new ValueTable();
  const all = compileRegisterOps(paired, values);
  const impossible = findImpossibleObservation(all);
  if (impossible >= 0) {
    return { kind: 'violation', ops: [paired[all[impossible].source]], reason: { kind: 'impossible-observation' } };
  }
  const ops = pruneUnobserved(all);
  if (!hasDefinite(ops)) return { kind: 'linearizable' };
  const memo = new MemoTable(ops.length * 2);
  const result = searchKey(new CompiledKey(ops), [NULL_VALUE_ID], memo, { deadlineMs, stepsMax: Infinity });
  if (result.status === LINEARIZABLE) return { kind: 'linearizable' };
  if (result.status === TIMEOUT) return { kind: 'timeout' };
  assert(result.stuckOp >= 0, 'a failed search met at least one completion it could not pass');
  return explain(paired, all, ops[result.stuckOp], values.count, deadlineMs, windowBudgetMs);
}

function explain(
  paired: readonly PairedOperation[],
  all: readonly KeyOp[],
  stuck: KeyOp,
  freshValue: number,
  deadlineMs: number,
  windowBudgetMs: number,
): KeyOutcome {
  const now = performance.now();
  const windowDeadlineMs = Math.min(now + windowBudgetMs, Math.max(deadlineMs, now + WINDOW_BUDGET_MS_MIN));
  const window = shrinkWindow(all, stuck, freshValue, windowDeadlineMs);
  const ops = window.ops.map((op) => paired[op.source]);
  if (!window.verified) {
    return { kind: 'violation', ops, reason: { kind: 'unverified', stuckCompleteIndex: stuck.retPos / 2 } };
  }
  const cutEventIndex = window.cutPos < 0 ? null : (window.cutPos + 1) / 2;
  return { kind: 'violation', ops, reason: { kind: 'unordered', cutEventIndex } };
}
