/**
 * Shrinks a non-linearizable key to the few operations a person needs to see.
 *
 * Every step is a relaxation of the real history, so whatever survives is a genuine explanation:
 * "these operations cannot be ordered, even if every other operation of the key took effect
 * anywhere within its own interval (an indeterminate one: any time after its invoke), or not at
 * all, and whatever the register held before the cut". The relaxations are:
 * - relax the operations invoked after the completion the search could not pass (`stuck`):
 *   the search never got past that point, so nothing later was ever considered (and those
 *   invoked after every remaining ok operation completed are left out: they cannot matter);
 * - cut the past at a position: operations completed before the cut are forgotten and the
 *   register may hold any value there; operations spanning the cut may take effect after it
 *   (before their completion) or not at all (their effect, if earlier, is part of "any value");
 * - relax an ok operation: a read or a failed-compare cas is dropped; a write or a swapping cas
 *   becomes optional within its interval.
 * The cut moves back from the stuck operation's invoke, doubling, until the window is still not
 * linearizable; then chunks of ok operations are relaxed while it stays so (delta debugging).
 */
import { CompiledKey } from './compiled-key.js';
import { MemoTable } from './memo.js';
import { CAS_SWAP, DEFINITE, INDETERMINATE, type KeyOp, NULL_VALUE_ID, OPTIONAL, WRITE } from './register-model.js';
import { hasDefinite, pruneUnobserved } from './prune.js';
import { searchKey, VIOLATION } from './search.js';

export interface ShrunkWindow {
  /** The ok operations that cannot be ordered (a subset of the key's operations), by invoke. */
  readonly ops: readonly KeyOp[];
  /** Doubled position of the cut; -1 when the window starts with the register absent. */
  readonly cutPos: number;
  /** False when the budget ran out before any window was proven: `ops` surround `stuck`. */
  readonly verified: boolean;
}

/** Loop iterations one trial search may take: keeps a pathological trial from eating the budget. */
const TRIAL_STEPS_MAX = 2_000_000;
/** Operations shown when no window could be proven in time. */
const UNVERIFIED_OPS_MAX = 8;

export function shrinkWindow(
  ops: readonly KeyOp[],
  stuck: KeyOp,
  freshValue: number,
  deadlineMs: number,
): ShrunkWindow {
  const prefix = ops.filter((op) => op.callPos < stuck.retPos);
  const tail = relax(
    ops.filter((op) => op.callPos >= stuck.retPos),
    new Set(ops),
  );
  const stuckIndex = prefix.indexOf(stuck);
  const trial = (candidate: readonly KeyOp[], cutPos: number): boolean =>
    isViolation(withTail(candidate, tail), cutPos, freshValue, deadlineMs);
  for (let width = 1; ; width *= 2) {
    if (performance.now() > deadlineMs) break;
    const from = Math.max(0, stuckIndex - (width - 1));
    const cutPos = from === 0 ? -1 : prefix[from].callPos - 1;
    const window = cutHistory(prefix, cutPos);
    if (trial(window, cutPos)) return { ops: minimize(window, cutPos, trial, deadlineMs), cutPos, verified: true };
    if (from === 0) break;
  }
  return { ops: surrounding(prefix, stuck), cutPos: -1, verified: false };
}

/** Relaxes chunks of ok operations, halving the chunk size, keeping each relaxation that holds. */
function minimize(
  window: readonly KeyOp[],
  cutPos: number,
  trial: (candidate: readonly KeyOp[], cutPos: number) => boolean,
  deadlineMs: number,
): KeyOp[] {
  const relaxed = new Set<KeyOp>();
  const candidates = window.filter((op) => op.flavor === DEFINITE);
  for (let chunk = Math.ceil(candidates.length / 2); chunk >= 1; chunk = chunk === 1 ? 0 : Math.ceil(chunk / 2)) {
    for (let start = 0; start < candidates.length; start += chunk) {
      if (performance.now() > deadlineMs) return candidates.filter((op) => !relaxed.has(op));
      const group = candidates.slice(start, start + chunk).filter((op) => !relaxed.has(op));
      if (group.length === 0 || group.length + relaxed.size === candidates.length) continue;
      for (const op of group) relaxed.add(op);
      if (!trial(relax(window, relaxed), cutPos)) for (const op of group) relaxed.delete(op);
    }
  }
  return candidates.filter((op) => !relaxed.has(op));
}

/** `ops` with the ok ops in `relaxed` relaxed (reads dropped; writes made optional). */
function relax(window: readonly KeyOp[], relaxed: ReadonlySet<KeyOp>): KeyOp[] {
  const out: KeyOp[] = [];
  for (const op of window) {
    if (op.flavor !== DEFINITE || !relaxed.has(op)) out.push(op);
    else if (op.kind === WRITE || op.kind === CAS_SWAP) out.push({ ...op, flavor: OPTIONAL });
  }
  return out;
}

/**
 * The candidate plus the (relaxed) operations invoked after the stuck completion that could
 * still take effect before some ok operation of the candidate completes. Those invoked later
 * must follow every ok operation of the candidate, so they cannot change its verdict.
 */
function withTail(candidate: readonly KeyOp[], tail: readonly KeyOp[]): KeyOp[] {
  let lastRetPos = -1;
  for (const op of candidate) if (op.flavor === DEFINITE) lastRetPos = Math.max(lastRetPos, op.retPos);
  const out = candidate.slice();
  for (const op of tail) {
    if (op.callPos >= lastRetPos) break;
    out.push(op);
  }
  return out;
}

/**
 * The history after the cut. Ops that keep their identity (not clamped) are the same objects,
 * so the caller can map a minimized window back to the key's operations.
 */
function cutHistory(prefix: readonly KeyOp[], cutPos: number): KeyOp[] {
  if (cutPos < 0) return prefix.slice();
  const out: KeyOp[] = [];
  for (const op of prefix) {
    if (op.flavor !== INDETERMINATE && op.retPos < cutPos) continue;
    if (op.callPos >= cutPos) out.push(op);
    else out.push({ ...op, callPos: cutPos, flavor: op.flavor === INDETERMINATE ? INDETERMINATE : OPTIONAL });
  }
  return out;
}

function isViolation(candidate: readonly KeyOp[], cutPos: number, freshValue: number, deadlineMs: number): boolean {
  const ops = pruneUnobserved(candidate);
  if (!hasDefinite(ops)) return false;
  const key = new CompiledKey(ops);
  const memo = new MemoTable(ops.length * 4);
  const budget = { deadlineMs, stepsMax: TRIAL_STEPS_MAX };
  const result = searchKey(key, initialStates(ops, cutPos, freshValue), memo, budget);
  return result.status === VIOLATION;
}

/** Absent at the start; after a cut, any value: those the window mentions, or one it does not. */
function initialStates(ops: readonly KeyOp[], cutPos: number, freshValue: number): number[] {
  if (cutPos < 0) return [NULL_VALUE_ID];
  const states = new Set<number>();
  for (const op of ops) {
    states.add(op.a);
    if (op.kind === CAS_SWAP) states.add(op.b);
  }
  states.add(freshValue);
  return [...states];
}

/** Unproven fallback: the ok operations overlapping the stuck one, nearest first. */
function surrounding(prefix: readonly KeyOp[], stuck: KeyOp): KeyOp[] {
  const overlapping = prefix.filter(
    (op) => op.flavor === DEFINITE && op.callPos < stuck.retPos && op.retPos > stuck.callPos,
  );
  const distance = (op: KeyOp): number => Math.abs(op.retPos - stuck.retPos);
  const nearest = overlapping.sort((x, y) => distance(x) - distance(y)).slice(0, UNVERIFIED_OPS_MAX);
  return nearest.sort((x, y) => x.callPos - y.callPos);
}
