// Goal: what is appended is what a restart replays — entries, hard state,
// conflicting-suffix truncation — across many segments, with real files and
// real fdatasync. Method: append through Wal, close, reopen, compare the
// recovered state and the files on disk.
import { describe, expect, it } from 'vitest';
import { initialStateFrom, Wal } from '../../../src/raft/wal/index.js';
import { logIndex, nodeId } from '../../../src/raft/core/types.js';
import { WalClosedError, WalConfigError, WalTooLargeError } from '../../../src/raft/wal/errors.js';
import { AssertionError } from '../../../src/raft/core/errors.js';
import { entries, hardState, segmentNames, shape, tempDir } from './helpers.js';

describe('WAL round trip', () => {
  it('opens an empty directory with the zero state', async () => {
    const dir = tempDir();
    const { wal, state, report } = await Wal.open(dir);
    expect(state).toEqual({ hardState: hardState(0, 0), snapshot: null, entries: [] });
    expect(report.segmentsScanned).toBe(0);
    expect(segmentNames(dir)).toEqual(['0000000000000001-0000000000000001.wal']);
    await wal.close();
  });

  it('replays entries and the last hard state after a restart', async () => {
    const dir = tempDir();
    const first = await Wal.open(dir);
    await first.wal.append(entries(1, 3, 1), hardState(1, 0, 'n1'));
    await first.wal.append(entries(4, 10, 2, 300), hardState(2, 3, 'n2'));
    await first.wal.close();
    const second = await Wal.open(dir);
    expect(shape(second.state.entries)).toEqual(shape([...entries(1, 3, 1), ...entries(4, 10, 2, 300)]));
    expect(second.state.entries[5]!.data).toEqual(entries(6, 6, 2, 300)[0]!.data);
    expect(second.state.hardState).toEqual(hardState(2, 3, 'n2'));
    expect(second.wal.lastIndex).toBe(10);
    const confState = { voters: [nodeId('n1')], learners: [] };
    const initial = initialStateFrom(second.state, { bootstrapConfState: confState, appliedIndex: logIndex(2) });
    expect(initial).toEqual({ ...second.state, snapshot: null, bootstrapConfState: confState, appliedIndex: 2 });
    await second.wal.append(entries(11, 11, 2), null);
    await second.wal.close();
    const third = await Wal.open(dir);
    expect(third.state.entries.length).toBe(11);
    await third.wal.close();
  });

  it('a conflicting suffix, overwritten at index i, stays replaced after restart', async () => {
    const dir = tempDir();
    const first = await Wal.open(dir);
    await first.wal.append(entries(1, 10, 1), hardState(1, 4));
    await first.wal.append(entries(6, 7, 2), hardState(2, 5)); // drops old 6..10
    await first.wal.close();
    const second = await Wal.open(dir);
    expect(shape(second.state.entries)).toEqual(shape([...entries(1, 5, 1), ...entries(6, 7, 2)]));
    await second.wal.append(entries(8, 9, 2), null);
    await second.wal.append(entries(7, 7, 3), hardState(3, 6)); // and again, at the tail
    await second.wal.close();
    const third = await Wal.open(dir);
    expect(shape(third.state.entries)).toEqual(shape([...entries(1, 5, 1), ...entries(6, 6, 2), ...entries(7, 7, 3)]));
    expect(third.state.hardState).toEqual(hardState(3, 6));
    await third.wal.close();
  });

  it('rotates across many segments and replays them all in order', async () => {
    const dir = tempDir();
    const options = { segmentBytes: 4096 };
    const first = await Wal.open(dir, options);
    for (let i = 1; i <= 300; i++)
      await first.wal.append(entries(i, i, 1, 200), i % 50 === 0 ? hardState(1, i - 45) : null);
    await first.wal.append(entries(260, 270, 2, 200), hardState(2, 259)); // truncation of the tail
    expect(first.wal.stats().rotations).toBeGreaterThan(10);
    await first.wal.close();
    const names = segmentNames(dir);
    expect(names.length).toBeGreaterThan(10);
    names.forEach((name, k) => expect(name.startsWith((k + 1).toString(16).padStart(16, '0'))).toBe(true));
    const second = await Wal.open(dir, options);
    expect(shape(second.state.entries)).toEqual(shape([...entries(1, 259, 1, 200), ...entries(260, 270, 2, 200)]));
    expect(second.state.hardState).toEqual(hardState(2, 259));
    expect(second.report.segmentsScanned).toBe(names.length);
    await second.wal.close();
  });

  it('writes each segment no larger than its size unless one write is larger', async () => {
    const dir = tempDir();
    const { wal } = await Wal.open(dir, { segmentBytes: 4096, preallocateBytes: 0 });
    for (let i = 1; i <= 60; i++) await wal.append(entries(i, i, 1, 100), null);
    await wal.append(entries(61, 120, 1, 100), null); // one write of ~8 KiB
    await wal.close();
    const { statSync } = await import('node:fs');
    const sizes = segmentNames(dir).map((n) => statSync(`${dir}/${n}`).size);
    expect(sizes.filter((s) => s > 4096).length).toBe(1);
  });

  it('rejects bad options, oversized appends and calls after close with named errors', async () => {
    const dir = tempDir();
    await expect(Wal.open(dir, { segmentBytes: 100 })).rejects.toThrow(WalConfigError);
    await expect(Wal.open(dir, { segmentBytes: 100 })).rejects.toThrow(/segmentBytes/);
    const { wal } = await Wal.open(dir, { queueBytesMax: 8192, recordBodyBytesMax: 4096 });
    await expect(wal.append(entries(1, 1, 1, 5000), null)).rejects.toThrow(WalTooLargeError);
    await expect(wal.append(entries(1, 100, 1, 100), null)).rejects.toThrow(/queueBytesMax/);
    await wal.append(entries(1, 1), null); // nothing was taken by the refused calls
    await expect(wal.append(entries(3, 3), null)).rejects.toThrow(AssertionError);
    await wal.close();
    await expect(wal.append(entries(2, 2), null)).rejects.toThrow(WalClosedError);
  });
});
