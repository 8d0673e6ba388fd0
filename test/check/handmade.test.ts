// Goal: the verdicts of the hand-made histories, and the windows reported for them.
// Method: small histories written out event by event, each with its known verdict; for the
// non-linearizable ones, the window must name the key and contain the offending operation.
import { describe, expect, it } from 'vitest';
import { checkHistory, type HistoryEvent, type Verdict } from '../../src/check/index.js';
import { DEFAULT_RANDOM_HISTORY, randomLinearizableHistory } from '../../src/check/random-history.js';
import { bruteForceLinearizable } from './brute-force.js';
import { cas, casOk, fail, info, invoke, ok, read, write } from './history-dsl.js';

function check(events: readonly HistoryEvent[]): Verdict {
  const verdict = checkHistory(events, { timeoutMs: 10_000 });
  // Every hand-made history is small enough for the oracle: the verdicts must agree.
  expect(verdict.kind === 'linearizable').toBe(bruteForceLinearizable(events));
  return verdict;
}

function expectViolation(events: readonly HistoryEvent[], key = 'r'): Extract<Verdict, { kind: 'not-linearizable' }> {
  const verdict = check(events);
  if (verdict.kind !== 'not-linearizable') throw new Error(`expected NOT linearizable, got ${verdict.kind}`);
  expect(verdict.key).toBe(key);
  expect(verdict.window[0]).toContain(`key ${JSON.stringify(key)}`);
  expect(verdict.operations.length).toBeGreaterThan(0);
  expect(verdict.window.length).toBeLessThan(10);
  return verdict;
}

describe('hand-made histories', () => {
  it('accepts the empty history and a lone read of the absent register', () => {
    expect(check([]).kind).toBe('linearizable');
    expect(check(read(0, null)).kind).toBe('linearizable');
  });

  it('rejects a stale read (1 read after 2 was written over it)', () => {
    const verdict = expectViolation([...write(0, 1), ...write(1, 2), ...read(2, 1)]);
    expect(verdict.operations.some((op) => op.f === 'read' && op.value === 1)).toBe(true);
  });

  it('rejects a lost write (an acknowledged write never seen)', () => {
    expectViolation([...write(0, 1), ...read(1, null)]);
    expectViolation([...write(0, 1), ...write(1, 2), ...read(2, 2), ...read(0, 1)]);
  });

  it('rejects a failed cas that should have matched', () => {
    const verdict = expectViolation([...write(0, 1), ...cas(1, [1, 2], false)]);
    expect(verdict.operations.some((op) => op.f === 'cas' && op.result === false)).toBe(true);
  });

  it('accepts a cas that failed because the value differed, and one that swapped', () => {
    expect(check([...write(0, 1), ...cas(1, [3, 4], false), ...read(2, 1)]).kind).toBe('linearizable');
    expect(check([...write(0, 1), ...cas(1, [1, 4], true), ...read(2, 4)]).kind).toBe('linearizable');
    expect(check([...cas(1, [null, 4], true), ...read(2, 4)]).kind).toBe('linearizable');
  });

  it('accepts a failed-compare cas concurrent with the write that made it fail', () => {
    // cas(1→2) runs before write(1) takes effect.
    const events = [invoke(0, 'write', 1), invoke(1, 'cas', [1, 2]), casOk(1, [1, 2], false), ok(0, 'write', 1), ...read(2, 1)];
    expect(check(events).kind).toBe('linearizable');
  });

  it('accepts an info write that appears later, and one that never appears', () => {
    const later = [invoke(0, 'write', 1), info(0, 'write', 1), ...read(1, null), ...read(1, 1), ...read(2, 1)];
    expect(check(later).kind).toBe('linearizable');
    const never = [invoke(0, 'write', 1), info(0, 'write', 1), ...read(1, null), ...read(1, null)];
    expect(check(never).kind).toBe('linearizable');
    const pendingForever = [invoke(0, 'write', 1), ...read(1, null), ...read(2, 1), ...read(1, 1)];
    expect(check(pendingForever).kind).toBe('linearizable');
  });

  it('rejects an info write seen and then unseen with no other write', () => {
    expectViolation([invoke(0, 'write', 1), info(0, 'write', 1), ...read(1, 1), ...read(1, null)]);
  });

  it('rejects an info write seen before it was invoked', () => {
    const verdict = expectViolation([...read(1, 1), invoke(0, 'write', 1), info(0, 'write', 1)]);
    expect(verdict.window[0]).toContain('observes 1');
  });

  it('accepts concurrent writes observed in one order, rejects them observed in both orders', () => {
    const writes = [invoke(0, 'write', 1), invoke(1, 'write', 2)];
    const done = [ok(0, 'write', 1), ok(1, 'write', 2)];
    const oneOrder = [...writes, ...read(2, 1), ...read(2, 2), ...read(3, 2), ...done, ...read(3, 2)];
    expect(check(oneOrder).kind).toBe('linearizable');
    const bothOrders = [...writes, ...read(2, 1), ...read(2, 2), ...read(3, 2), ...read(3, 1), ...done];
    expectViolation(bothOrders);
  });

  it('rejects a read of a value never written', () => {
    const verdict = expectViolation([...write(0, 1), ...read(1, 7)]);
    expect(verdict.window[0]).toContain('observes 7');
    expect(verdict.operations).toHaveLength(1);
  });

  it('ignores failed operations', () => {
    expect(check([invoke(0, 'write', 5), fail(0, 'write', 5), ...read(1, null)]).kind).toBe('linearizable');
    expectViolation([invoke(0, 'write', 5), fail(0, 'write', 5), ...read(1, 5)]);
    expect(check([...write(0, 1), invoke(1, 'cas', [1, 9]), fail(1, 'cas', [1, 9]), ...read(2, 1)]).kind).toBe('linearizable');
  });

  it('treats an info cas as possibly applied, or not', () => {
    const applied = [...write(0, 1), invoke(1, 'cas', [1, 9]), info(1, 'cas', [1, 9]), ...read(2, 9)];
    expect(check(applied).kind).toBe('linearizable');
    const notApplied = [...write(0, 1), invoke(1, 'cas', [1, 9]), info(1, 'cas', [1, 9]), ...read(2, 1)];
    expect(check(notApplied).kind).toBe('linearizable');
    const couldNotApply = [...write(0, 2), invoke(1, 'cas', [1, 9]), info(1, 'cas', [1, 9]), ...read(2, 9)];
    expectViolation(couldNotApply);
  });

  it('names only the bad key of a history with several', () => {
    const good = [...write(0, 1, 'a'), ...read(1, 1, 'a'), ...write(2, 5, 'c'), ...read(0, 5, 'c')];
    const bad = [...write(0, 1, 'b'), ...write(1, 2, 'b'), ...read(2, 1, 'b')];
    const verdict = expectViolation([...good, ...bad, ...good], 'b');
    for (const op of verdict.operations) expect(op.key).toBe('b');
    expect(check([...good, ...good]).kind).toBe('linearizable');
  });

  it('reports lines of the file when given, event numbers otherwise', () => {
    const events = [...write(0, 1), ...write(1, 2), ...read(2, 1)];
    const withLines = checkHistory(events, { timeoutMs: 1000, lineNumbers: [10, 11, 13, 14, 16, 17] });
    const plain = checkHistory(events, { timeoutMs: 1000 });
    if (withLines.kind !== 'not-linearizable' || plain.kind !== 'not-linearizable') throw new Error('expected violations');
    expect(withLines.window.join('\n')).toContain('invoke line 16, ok line 17');
    expect(plain.window.join('\n')).toContain('invoke event 5, ok event 6');
    const readOp = withLines.operations.find((op) => op.f === 'read')!;
    expect([readOp.invokeLine, readOp.completeLine]).toEqual([16, 17]);
  });

  it('still reports the operations around the violation when there is no time to shrink', () => {
    const events = [...write(0, 1), ...write(1, 2), ...read(2, 1)];
    const verdict = checkHistory(events, { timeoutMs: 1000, windowBudgetMs: 0 });
    if (verdict.kind !== 'not-linearizable') throw new Error(`expected a violation, got ${verdict.kind}`);
    expect(verdict.window[0]).toBe('key "r": no order gets past the completion at event 6; operations around it (window not minimized in time):');
    expect(verdict.operations.map((op) => op.value)).toContain(1);
  });

  it('says UNKNOWN when the time budget runs out, and decides with enough of it', () => {
    const events = randomLinearizableHistory({ ...DEFAULT_RANDOM_HISTORY, seed: 3, operations: 3000, processes: 10 });
    const verdict = checkHistory(events, { timeoutMs: 0 });
    expect(verdict).toEqual({ kind: 'unknown', reason: 'timeout after 0 ms (key "k0" undecided)' });
    expect(checkHistory(events, { timeoutMs: 60_000 }).kind).toBe('linearizable');
  });
});
