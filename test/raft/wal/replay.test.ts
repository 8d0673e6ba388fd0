// Goal: replay rebuilds exactly the log Raft would hold: suffix truncation,
// last hard state wins, snapshot markers follow InstallSnapshot, older bases
// are refused when the log they need is gone, and contradictions are named.
// Method: feed hand-built record sequences to the pure replay() and compare.
import { describe, expect, it } from 'vitest';
import { WalCorruptionError } from '../../../src/raft/wal/errors.js';
import { RecordType } from '../../../src/raft/wal/format.js';
import type { DecodedRecord } from '../../../src/raft/wal/records.js';
import { BaseUnusableError, replay } from '../../../src/raft/wal/replay.js';
import { entries, hardState, shape } from './helpers.js';
import type { HardState } from '../../../src/raft/core/types.js';

let offset = 0;
const run = (from: number, to: number, t = 1): DecodedRecord => ({
  type: RecordType.Entries,
  entries: entries(from, to, t),
  file: 'seg',
  offset: (offset += 8),
});
const hs = (h: HardState): DecodedRecord => ({
  type: RecordType.HardState,
  hardState: h,
  file: 'seg',
  offset: (offset += 8),
});
const marker = (index: number, t: number): DecodedRecord => ({
  type: RecordType.Snapshot,
  index,
  term: t,
  file: 'seg',
  offset: (offset += 8),
});
const none = { index: 0, term: 0 };

describe('replay', () => {
  it('an entries run replaces every stored entry at and after its first index', () => {
    const out = replay([run(1, 10, 1), hs(hardState(1, 3)), run(6, 7, 2), hs(hardState(2, 4, 'n2'))], none);
    expect(shape(out.entries)).toEqual(shape([...entries(1, 5, 1), ...entries(6, 7, 2)]));
    expect(out.hardState).toEqual(hardState(2, 4, 'n2'));
    expect(out.prevIndex).toBe(0);
  });

  it('a marker whose entry matches keeps the suffix; one that does not discards the log', () => {
    const kept = replay([run(1, 10, 1), marker(6, 1)], { index: 6, term: 1 });
    expect(kept.prevIndex).toBe(6);
    expect(shape(kept.entries)).toEqual(shape(entries(7, 10, 1)));
    const discarded = replay([run(1, 10, 1), marker(6, 3), run(7, 8, 3)], { index: 6, term: 3 });
    expect(discarded.prevIndex).toBe(6);
    expect(shape(discarded.entries)).toEqual(shape(entries(7, 8, 3)));
  });

  it('a base whose marker was lost in a crash applies at the end by the same rule', () => {
    expect(shape(replay([run(1, 10, 1)], { index: 4, term: 1 }).entries)).toEqual(shape(entries(5, 10, 1)));
    const beyond = replay([run(1, 10, 1)], { index: 50, term: 2 });
    expect([beyond.prevIndex, beyond.entries.length]).toEqual([50, 0]);
    const mismatch = replay([run(1, 10, 1)], { index: 8, term: 2 });
    expect([mismatch.prevIndex, mismatch.entries.length]).toEqual([8, 0]);
  });

  it('starts from a log whose oldest segments were deleted, when the base covers them', () => {
    const out = replay([hs(hardState(3, 90)), run(91, 120, 3), marker(100, 3)], { index: 100, term: 3 });
    expect(out.prevIndex).toBe(100);
    expect(shape(out.entries)).toEqual(shape(entries(101, 120, 3)));
  });

  it('raises a commit below the snapshot index (the hard state naming it was lost)', () => {
    const out = replay([hs(hardState(1, 2)), run(1, 10, 1)], { index: 8, term: 1 });
    expect(out.hardState!.commit).toBe(8);
  });

  it('an older base is usable when the newer markers left its entries in place', () => {
    const out = replay([run(1, 20, 1), marker(5, 1), marker(10, 1)], { index: 5, term: 1 });
    expect(out.prevIndex).toBe(5);
    expect(shape(out.entries)).toEqual(shape(entries(6, 20, 1)));
  });

  it('an older base is unusable when a newer marker replaced the log, or its entries are gone', () => {
    expect(() => replay([run(1, 20, 1), marker(5, 1), marker(30, 2)], { index: 5, term: 1 })).toThrow(
      BaseUnusableError,
    );
    expect(() => replay([run(51, 60, 1)], { index: 10, term: 1 })).toThrow(BaseUnusableError);
    expect(() => replay([run(51, 60, 1)], none)).toThrow(/starts at index 51 but there is no snapshot/);
  });

  it('names the record where the log contradicts itself', () => {
    const gap = run(15, 16);
    expect(() => replay([run(1, 10), gap], none)).toThrow(WalCorruptionError);
    try {
      replay([run(1, 10), gap], none);
    } catch (err) {
      expect((err as WalCorruptionError).offset).toBe(gap.offset);
      expect((err as Error).message).toMatch(/gap/);
    }
    expect(() => replay([run(1, 10, 2), run(11, 12, 1)], none)).toThrow(/below term 2/);
    expect(() => replay([run(1, 10, 1), marker(8, 1), run(5, 6, 1)], { index: 8, term: 1 })).toThrow(
      /at or below snapshot/,
    );
    expect(() => replay([run(1, 10, 1), marker(8, 2)], { index: 8, term: 1 })).toThrow(/disagrees/);
    expect(() => replay([run(1, 3, 1), hs(hardState(1, 5))], none)).toThrow(/beyond the last entry/);
  });
});
