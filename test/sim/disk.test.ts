/**
 * Goal: the simulated disk keeps exactly what a real WAL would across a
 * crash: everything synced, plus a prefix of what was written but not
 * synced (never a later record without the earlier ones); a received
 * snapshot replaces the log; a local snapshot compacts only what it covers.
 * Method: write records, crash with many seeds, and compare the durable image
 * with the records that must (and may) have survived.
 */
import { describe, expect, it } from 'vitest';
import { seededRng } from '../../src/raft/core/rng.js';
import { logIndex, term } from '../../src/raft/core/types.js';
import { SimDisk } from '../../sim/disk.js';
import { LogImage } from '../../sim/log-image.js';
import { SimRandom } from '../../sim/random.js';
import { entries, n } from './fixtures.js';

const hardState = (t: number, commit: number) => ({ term: term(t), vote: n(1), commit: logIndex(commit) });

describe('LogImage', () => {
  it('gives equal prefix hashes to equal prefixes and different ones after a divergence', () => {
    const a = new LogImage();
    const b = new LogImage();
    a.append(entries(1, 5, 1));
    b.append(entries(1, 3, 1));
    b.append(entries(4, 5, 2));
    expect(b.prefixHashAt(3)).toBe(a.prefixHashAt(3));
    expect(b.prefixHashAt(4)).not.toBe(a.prefixHashAt(4));
    b.append(entries(4, 5, 1));
    expect(b.prefixHashAt(5)).toBe(a.prefixHashAt(5));
  });

  it('rejects a batch that leaves a gap (the core broke its Ready contract)', () => {
    const log = new LogImage();
    log.append(entries(1, 2, 1));
    expect(() => log.append(entries(4, 4, 1))).toThrow(/cannot follow/);
  });

  it('keeps the prefix hash at the base when compacted', () => {
    const log = new LogImage();
    log.append(entries(1, 6, 1));
    const h4 = log.prefixHashAt(4);
    log.compactTo(4);
    expect(log.baseIndex).toBe(4);
    expect(log.prefixHashAt(4)).toBe(h4);
    expect(log.entriesAfter(4).map((e) => e.index)).toEqual([5, 6]);
  });
});

describe('SimDisk', () => {
  it('a crash keeps every synced record and a prefix of the unsynced ones', () => {
    const outcomes = new Set<number>();
    for (let seed = 1; seed <= 60; seed++) {
      const disk = new SimDisk(100);
      disk.write({ kind: 'entries', entries: entries(1, 3, 1) });
      disk.write({ kind: 'hard-state', hardState: hardState(1, 2) });
      disk.sync();
      disk.write({ kind: 'entries', entries: entries(4, 4, 1) });
      disk.write({ kind: 'entries', entries: entries(5, 5, 1) });
      disk.write({ kind: 'hard-state', hardState: hardState(2, 5) });
      const outcome = disk.crash(SimRandom.fromSeed(seed, seededRng));
      expect(outcome.unsyncedRecords).toBe(3);
      const last = disk.durable.log.lastIndex;
      const survived = outcome.survivedRecords;
      expect(last).toBe(3 + Math.min(survived, 2));
      expect(disk.durable.hardState.term).toBe(survived === 3 ? 2 : 1);
      expect(disk.written.log.lastIndex).toBe(last);
      outcomes.add(survived);
    }
    expect([...outcomes].sort()).toEqual([0, 1, 2, 3]);
  });

  it('a torn tail is reported only when some unsynced record was lost', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const disk = new SimDisk(100);
      disk.write({ kind: 'entries', entries: entries(1, 2, 1) });
      const outcome = disk.crash(SimRandom.fromSeed(seed, seededRng));
      if (outcome.tornTail) expect(outcome.survivedRecords).toBeLessThan(outcome.unsyncedRecords);
    }
  });

  it('syncs by itself when unsynced records pile up past the bound', () => {
    const disk = new SimDisk(2);
    for (let i = 1; i <= 3; i++) disk.write({ kind: 'entries', entries: entries(i, i, 1) });
    expect(disk.unsyncedCount).toBe(0);
    expect(disk.durable.log.lastIndex).toBe(3);
  });

  it('a received snapshot replaces the whole log; a local one compacts only up to index - retain', () => {
    const disk = new SimDisk(100);
    disk.write({ kind: 'entries', entries: entries(1, 8, 1) });
    disk.sync();
    const metadata = (i: number) => ({ index: logIndex(i), term: term(1), confState: { voters: [n(1)], learners: [] } });
    disk.saveLocalSnapshot({ metadata: metadata(6), data: new Uint8Array([1]), prefixHash: disk.durable.log.prefixHashAt(6) }, 4);
    expect(disk.durable.snapshotIndex).toBe(6);
    expect(disk.durable.log.baseIndex).toBe(4);
    expect(disk.durable.log.lastIndex).toBe(8);
    disk.write({ kind: 'snapshot', snapshot: { metadata: metadata(12), data: new Uint8Array([2]), prefixHash: 99 } });
    expect(disk.written.log.lastIndex).toBe(12);
    expect(disk.written.log.baseIndex).toBe(12);
    expect(disk.durable.snapshotIndex).toBe(6);
    disk.sync();
    expect(disk.durable.snapshotIndex).toBe(12);
    expect(disk.durable.log.prefixHashAt(12)).toBe(99);
  });
});
