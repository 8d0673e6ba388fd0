// Goal: the window printed for a non-linearizable key is a true, minimal explanation.
// Method: for many small random non-linearizable histories, shrink the window as checkHistory
// does, then check with an independent brute-force oracle that (1) the window's ok operations
// cannot be ordered even when every other operation of the key is relaxed (reads dropped,
// writes optional within their interval, indeterminate ones free) and the register may hold
// anything at the cut, and (2) relaxing any one of them makes the key linearizable.
import { describe, expect, it } from 'vitest';
import { CompiledKey } from '../../src/check/compiled-key.js';
import { MemoTable } from '../../src/check/memo.js';
import { pairOperations } from '../../src/check/pairing.js';
import { findImpossibleObservation, pruneUnobserved } from '../../src/check/prune.js';
import { DEFAULT_RANDOM_HISTORY, randomLinearizableHistory, Rng } from '../../src/check/random-history.js';
import { compileRegisterOps, DEFINITE, INDETERMINATE, type KeyOp, NULL_VALUE_ID, OPTIONAL, ValueTable, WRITE, CAS_SWAP } from '../../src/check/register-model.js';
import { searchKey, VIOLATION } from '../../src/check/search.js';
import { shrinkWindow } from '../../src/check/window.js';
import type { HistoryEvent } from '../../src/check/types.js';
import { keyOpsLinearizable } from './keyop-brute-force.js';
import { randomSmallHistory } from './small-histories.js';

/** The claim the window makes, as a history of compiled ops: only `core` stays ok. */
function claimHistory(all: readonly KeyOp[], core: ReadonlySet<KeyOp>, cutPos: number): KeyOp[] {
  const out: KeyOp[] = [];
  for (const op of all) {
    if (cutPos >= 0 && op.flavor !== INDETERMINATE && op.retPos < cutPos) continue;
    const callPos = cutPos >= 0 ? Math.max(op.callPos, cutPos) : op.callPos;
    if (core.has(op)) {
      expect(callPos).toBe(op.callPos);
      out.push(op);
    } else if (op.flavor === INDETERMINATE) out.push({ ...op, callPos });
    else if (op.kind === WRITE || op.kind === CAS_SWAP) out.push({ ...op, callPos, flavor: OPTIONAL });
  }
  return out;
}

function anyState(valueCount: number): number[] {
  return Array.from({ length: valueCount + 1 }, (_, v) => v);
}

/** Checks every non-linearizable key of the history; returns how many windows were checked. */
function checkWindows(events: readonly HistoryEvent[]): number {
  let checked = 0;
  const paired = pairOperations(events, { fileName: 'test' });
  for (const key of new Set(paired.map((op) => op.key))) {
    const values = new ValueTable();
    const all = compileRegisterOps(paired.filter((op) => op.key === key), values);
    if (findImpossibleObservation(all) >= 0) continue;
    const ops = pruneUnobserved(all);
    const result = searchKey(new CompiledKey(ops), [NULL_VALUE_ID], new MemoTable(64), { deadlineMs: Infinity, stepsMax: Infinity });
    if (result.status !== VIOLATION) continue;
    const window = shrinkWindow(all, ops[result.stuckOp], values.count, performance.now() + 10_000);
    expect(window.verified).toBe(true);
    expect(window.ops.length).toBeGreaterThan(0);
    const core = new Set(window.ops);
    for (const op of core) expect(op.flavor).toBe(DEFINITE);
    const initial = window.cutPos < 0 ? [NULL_VALUE_ID] : anyState(values.count);
    expect(keyOpsLinearizable(claimHistory(all, core, window.cutPos), initial)).toBe(false);
    for (const op of core) {
      const fewer = new Set(core);
      fewer.delete(op);
      expect(keyOpsLinearizable(claimHistory(all, fewer, window.cutPos), initial)).toBe(true);
    }
    checked++;
  }
  return checked;
}

describe('window shrinking', () => {
  it('gives true and 1-minimal windows on small random histories', () => {
    let checked = 0;
    for (let seed = 1; seed <= 2500; seed++) {
      const events = randomSmallHistory(new Rng(seed * 104729), { operations: 7, processes: 3, keys: 1 });
      checked += checkWindows(events);
    }
    expect(checked).toBeGreaterThan(250);
  });
  it('gives true and 1-minimal windows on mutated register histories', () => {
    let checked = 0;
    for (let seed = 1; seed <= 800; seed++) {
      const options = { ...DEFAULT_RANDOM_HISTORY, seed, operations: 8, processes: 4, valueRange: 3, infoRate: 0.15 };
      const events = randomLinearizableHistory(options);
      const rng = new Rng(seed);
      const reads = events.map((e, i) => (e.type === 'ok' && e.f === 'read' ? i : -1)).filter((i) => i >= 0);
      if (reads.length === 0) continue;
      const at = reads[rng.int(reads.length)];
      const mutated = events.slice();
      mutated[at] = { ...events[at], value: rng.int(3) };
      checked += checkWindows(mutated);
    }
    expect(checked).toBeGreaterThan(50);
  });
});
