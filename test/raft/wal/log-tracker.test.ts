// Goal: bad input from the core is caught as an assertion before anything is
// queued, and the tracker follows the log through truncation and snapshots.
// Method: drive LogTracker directly with valid and invalid appends.
import { describe, expect, it } from 'vitest';
import { AssertionError } from '../../../src/raft/core/errors.js';
import { LogTracker } from '../../../src/raft/wal/log-tracker.js';
import { entries, entry, hardState } from './helpers.js';

function trackerWith(last: number, lastTerm = 1, commit = 0): LogTracker {
  const tracker = LogTracker.recovered(0, 0, entries(1, last, lastTerm), hardState(lastTerm, commit));
  return tracker;
}

describe('log tracker', () => {
  it('knows the term of every entry through truncation and snapshots', () => {
    const tracker = trackerWith(10, 1);
    tracker.applyAppend(entries(6, 8, 2), null);
    expect([tracker.lastIndex, tracker.termAt(5), tracker.termAt(6), tracker.termAt(8), tracker.termAt(9)]).toEqual([
      8,
      1,
      2,
      2,
      null,
    ]);
    tracker.installSnapshot(7, 2);
    expect([tracker.snapshotIndex, tracker.lastIndex, tracker.termAt(7), tracker.termAt(8), tracker.termAt(6)]).toEqual(
      [7, 8, 2, 2, null],
    );
    tracker.installSnapshot(20, 4); // not in the log: replaces it
    expect([tracker.snapshotIndex, tracker.lastIndex, tracker.termAt(20)]).toEqual([20, 20, 4]);
  });

  const bad: Record<string, (t: LogTracker) => void> = {
    'non-contiguous entries': (t) => t.checkAppend([entry(11), entry(13)], null),
    'a gap after the last index': (t) => t.checkAppend([entry(12)], null),
    'an index of zero': (t) => t.checkAppend([entry(0)], null),
    'decreasing terms within an append': (t) => t.checkAppend([entry(11, 3), entry(12, 2)], null),
    'a term below the entry before': (t) => t.checkAppend([entry(11, 0)], null),
    'overwriting a committed entry': (t) => t.checkAppend([entry(5, 2)], null),
    'a term going down': (t) => t.checkAppend([], hardState(0, 5)),
    'a commit going down': (t) => t.checkAppend([], hardState(1, 4)),
    'a commit beyond the last index': (t) => t.checkAppend([], hardState(1, 11)),
    'a vote changing within a term': (t) => {
      t.applyAppend([], hardState(1, 5, 'n1'));
      t.checkAppend([], hardState(1, 5, 'n2'));
    },
  };
  for (const [name, call] of Object.entries(bad)) {
    it(`asserts against ${name}`, () => {
      expect(() => call(trackerWith(10, 1, 5))).toThrow(AssertionError);
    });
  }

  it('accepts an overwrite after the commit index and a new vote in a new term', () => {
    const tracker = trackerWith(10, 1, 5);
    expect(() => tracker.checkAppend(entries(6, 12, 2), hardState(2, 6, 'n3'))).not.toThrow();
  });

  it('refuses writes at or below the snapshot index', () => {
    const tracker = trackerWith(10, 1, 0);
    tracker.installSnapshot(8, 1);
    expect(() => tracker.checkAppend([entry(8)], null)).toThrow(/at or below the snapshot index 8/);
  });
});
