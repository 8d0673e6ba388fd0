// Goal: snapshots are atomic and checked; the log continues from them across
// restarts (also when the crash fell between the snapshot file and its marker);
// a damaged newest snapshot falls back to an older one only if the log it needs
// is still there, else the WAL refuses clearly; segments wholly covered by a
// snapshot are deleted (never the active one) and two snapshot files are kept.
// Method: real WAL directories, snapshot files damaged or planted by hand.
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  Wal,
  WalIoError,
  WalSnapshotError,
  WalStaleSnapshotError,
  type WalOptions,
} from '../../../src/raft/wal/index.js';
import { snapshotFileName, writeSnapshotFile } from '../../../src/raft/wal/snapshot-file.js';
import {
  editFile,
  entries,
  flipBit,
  hardState,
  segmentNames,
  shape,
  snapshot,
  snapshotNames,
  tempDir,
} from './helpers.js';

const SMALL: WalOptions = { segmentBytes: 4096 };

/** Entries 1..last (term 1, 100-byte data), one per append, hard state (1, commit) first. */
async function walWith(last: number, commit: number, options: WalOptions = {}) {
  const dir = tempDir();
  const opened = await Wal.open(dir, options);
  await opened.wal.append([], hardState(1, 0, 'n1'));
  for (let i = 1; i <= last; i++) await opened.wal.append(entries(i, i, 1, 100), null);
  await opened.wal.append([], hardState(1, commit, 'n1'));
  return { dir, ...opened };
}

describe('snapshots', () => {
  it('continue the log across a restart, with their data', async () => {
    const { dir, wal } = await walWith(30, 25);
    await wal.saveSnapshot(snapshot(20, 1, 5000));
    await wal.close();
    const { wal: again, state, report } = await Wal.open(dir);
    expect(state.snapshot!.metadata).toEqual(snapshot(20, 1, 5000).metadata);
    expect(new Uint8Array(state.snapshot!.data)).toEqual(snapshot(20, 1, 5000).data);
    expect(shape(state.entries)).toEqual(shape(entries(21, 30, 1, 100)));
    expect(state.hardState).toEqual(hardState(1, 25, 'n1'));
    expect(report.snapshotUsed).toBe(snapshotFileName(20, 1));
    await again.close();
  });

  it('keep only the entries after the snapshot, copied out of the segments into one buffer of their size', async () => {
    const { dir, wal } = await walWith(30, 25);
    await wal.saveSnapshot(snapshot(20, 1, 5000));
    await wal.close();
    const { wal: again, state } = await Wal.open(dir);
    const buffers = new Set(state.entries.map((e) => e.data.buffer));
    expect(buffers.size).toBe(1); // not the segment's buffer, nor one per entry
    expect([...buffers][0]!.byteLength).toBe(10 * 100);
    expect(state.entries.map((e) => Buffer.from(e.data).toString('hex'))).toEqual(
      entries(21, 30, 1, 100).map((e) => Buffer.from(e.data).toString('hex')),
    );
    await again.close();
  });

  it('order appends made after saveSnapshot() behind its marker', async () => {
    const { dir, wal } = await walWith(10, 8);
    const saved = wal.saveSnapshot(snapshot(8, 1));
    const appended = wal.append(entries(11, 12, 2), hardState(2, 10));
    await Promise.all([saved, appended]);
    expect(wal.stats().snapshots).toBe(1);
    await wal.close();
    const { wal: again, state } = await Wal.open(dir);
    expect(state.snapshot!.metadata.index).toBe(8);
    expect(shape(state.entries)).toEqual(shape([...entries(9, 10, 1, 100), ...entries(11, 12, 2)]));
    await again.close();
  });

  it('install a leader snapshot that replaces the log, on disk and in the WAL', async () => {
    const { dir, wal } = await walWith(10, 5);
    await wal.saveSnapshot(snapshot(50, 3));
    expect(wal.lastIndex).toBe(50);
    await wal.append(entries(51, 52, 3), hardState(3, 50));
    await wal.close();
    const { wal: again, state } = await Wal.open(dir);
    expect(state.snapshot!.metadata.index).toBe(50);
    expect(shape(state.entries)).toEqual(shape(entries(51, 52, 3)));
    expect(state.hardState).toEqual(hardState(3, 50));
    await again.close();
  });

  it('survive a crash between the snapshot file and its marker', async () => {
    const { dir, wal } = await walWith(10, 9);
    await wal.close();
    await writeSnapshotFile(dir, snapshot(6, 1), true); // as if the marker never reached the disk
    const { wal: again, state } = await Wal.open(dir);
    expect(state.snapshot!.metadata.index).toBe(6);
    expect(shape(state.entries)).toEqual(shape(entries(7, 10, 1, 100)));
    await again.close();
    await writeSnapshotFile(dir, snapshot(40, 2), true); // a leader's snapshot beyond the log
    const { wal: third, state: beyond } = await Wal.open(dir);
    expect([beyond.snapshot!.metadata.index, beyond.entries.length, beyond.hardState.commit]).toEqual([40, 0, 40]);
    await third.close();
  });

  it('survive a crash after a first-ever snapshot and before its hard state', async () => {
    const dir = tempDir();
    const { wal } = await Wal.open(dir);
    await wal.saveSnapshot(snapshot(50, 3)); // a new follower's first Ready: the leader's snapshot
    await wal.close();
    const { wal: again, state } = await Wal.open(dir);
    expect(state.snapshot!.metadata.index).toBe(50);
    expect(state.hardState).toEqual(hardState(0, 50));
    await again.close();
  });

  it('refuse to open a snapshot whose segments are all gone (its term and vote are lost)', async () => {
    const { dir, wal } = await walWith(10, 8);
    await wal.saveSnapshot(snapshot(8, 1));
    await wal.close();
    for (const name of segmentNames(dir)) rmSync(join(dir, name));
    await expect(Wal.open(dir)).rejects.toThrow(/snapshot snap-0+8-0+1\.snap exists but every segment is missing/);
  });

  it('ignore and remove leftover temp files of unfinished atomic writes', async () => {
    const { dir, wal } = await walWith(10, 5);
    await wal.saveSnapshot(snapshot(5, 1));
    await wal.close();
    writeFileSync(join(dir, `${snapshotFileName(9, 1)}.tmp`), 'half a snapshot');
    writeFileSync(join(dir, '0000000000000002-000000000000000b.wal.tmp'), Buffer.alloc(10));
    const { wal: again, state, report } = await Wal.open(dir);
    expect([...report.tempFilesRemoved].sort()).toEqual([
      '0000000000000002-000000000000000b.wal.tmp',
      `${snapshotFileName(9, 1)}.tmp`,
    ]);
    expect(state.snapshot!.metadata.index).toBe(5);
    expect(existsSync(join(dir, `${snapshotFileName(9, 1)}.tmp`))).toBe(false);
    await again.close();
  });

  it('fall back from a damaged newest snapshot to an older one whose log is still there', async () => {
    const { dir, wal } = await walWith(30, 25);
    await wal.saveSnapshot(snapshot(10, 1));
    await wal.saveSnapshot(snapshot(20, 1));
    await wal.close();
    flipBit(join(dir, snapshotFileName(20, 1)), 100); // in the data
    const { wal: again, state, report } = await Wal.open(dir);
    expect(state.snapshot!.metadata.index).toBe(10);
    expect(shape(state.entries)).toEqual(shape(entries(11, 30, 1, 100)));
    expect(report.snapshotsSetAside).toEqual([`${snapshotFileName(20, 1)}.corrupt`]);
    expect(existsSync(join(dir, `${snapshotFileName(20, 1)}.corrupt`))).toBe(true);
    expect(existsSync(join(dir, snapshotFileName(20, 1)))).toBe(false);
    await again.saveSnapshot(snapshot(21, 1)); // the WAL goes on from the older snapshot
    await again.close();
    const { wal: third, state: later } = await Wal.open(dir);
    expect(later.snapshot!.metadata.index).toBe(21);
    await third.close();
  });

  it('fall back to no snapshot when the only one is damaged and the log starts at index 1', async () => {
    const { dir, wal } = await walWith(12, 10);
    await wal.saveSnapshot(snapshot(10, 1));
    await wal.close();
    editFile(join(dir, snapshotFileName(10, 1)), (bytes) => bytes.subarray(0, bytes.length - 3)); // cut short
    const { wal: again, state, report } = await Wal.open(dir);
    expect(state.snapshot).toBeNull();
    expect(state.entries.length).toBe(12);
    expect(report.snapshotsSetAside.length).toBe(1);
    await again.close();
  });

  it('refuse a damaged newest snapshot when the log an older one needs was compacted away', async () => {
    const { dir, wal } = await walWith(300, 290, SMALL);
    await wal.saveSnapshot(snapshot(100, 1));
    await wal.saveSnapshot(snapshot(250, 1));
    await wal.close();
    flipBit(join(dir, snapshotFileName(250, 1)), 20); // in the header
    const error = await Wal.open(dir, SMALL).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(WalSnapshotError);
    expect((error as Error).message).toContain(snapshotFileName(250, 1));
    expect((error as Error).message).toMatch(
      /older snapshot .* cannot stand in: the log starts at index \d+ but the snapshot ends at index 100/,
    );
    expect(existsSync(join(dir, snapshotFileName(250, 1)))).toBe(true); // nothing renamed on refusal
  });

  it('delete segments wholly covered by the snapshot, never the active one, keeping the hard state', async () => {
    const { dir, wal } = await walWith(300, 280, SMALL);
    const before = segmentNames(dir);
    await wal.saveSnapshot(snapshot(200, 1));
    const after = segmentNames(dir);
    expect(wal.stats().segmentsDeleted).toBe(before.length - after.length);
    expect(after.length).toBeLessThan(before.length / 2);
    await wal.saveSnapshot(snapshot(300, 1)); // covers everything: only the active segment remains
    expect(segmentNames(dir)).toEqual([before[before.length - 1]]);
    await wal.close();
    const { wal: again, state } = await Wal.open(dir, SMALL);
    expect(state.snapshot!.metadata.index).toBe(300);
    expect(state.entries).toEqual([]);
    expect(state.hardState).toEqual(hardState(1, 300, 'n1'));
    await again.append(entries(301, 301), null);
    await again.close();
  });

  it('keep the hard state when the first write of the newest segment was torn and older ones are deleted', async () => {
    const dir = tempDir();
    const options: WalOptions = { segmentBytes: 4096, preallocateBytes: 0 };
    const first = await Wal.open(dir, options);
    await first.wal.append([], hardState(4, 0, 'n3')); // the only hard state ever written
    let last = 0;
    while (first.wal.stats().rotations === 0) await first.wal.append(entries(++last, last, 4, 100), null);
    await first.wal.close();
    const newest = segmentNames(dir).at(-1)!;
    editFile(join(dir, newest), (bytes) => bytes.subarray(0, 32 + 30)); // torn inside the hard-state copy
    const second = await Wal.open(dir, options);
    expect(second.report.tornTail?.file).toBe(join(dir, newest));
    await second.wal.append(entries(last, last + 1, 4, 100), null); // rewrites the lost entry, then one more
    await second.wal.saveSnapshot(snapshot(last + 1, 4)); // deletes every segment but the newest
    expect(segmentNames(dir)).toEqual([newest]);
    await second.wal.close();
    const third = await Wal.open(dir, options);
    expect(third.state.hardState).toEqual(hardState(4, last + 1, 'n3'));
    await third.wal.close();
  });

  it('keep the two newest snapshot files and refuse a stale one', async () => {
    const { wal, dir } = await walWith(30, 30);
    for (const index of [10, 20, 30]) await wal.saveSnapshot(snapshot(index, 1));
    expect(snapshotNames(dir)).toEqual([snapshotFileName(20, 1), snapshotFileName(30, 1)]);
    expect(wal.stats().snapshotFilesDeleted).toBe(1);
    await expect(wal.saveSnapshot(snapshot(30, 1))).rejects.toThrow(WalStaleSnapshotError);
    await wal.close();
  });

  it('stop the WAL when the snapshot file cannot be written, failing appends queued behind it', async () => {
    const { dir, wal } = await walWith(10, 5);
    mkdirSync(join(dir, snapshotFileName(5, 1), 'occupied'), { recursive: true }); // rename onto it fails
    const saved = wal.saveSnapshot(snapshot(5, 1));
    const behind = wal.append(entries(11, 11), null);
    await expect(saved).rejects.toThrow(WalIoError);
    await expect(behind).rejects.toThrow(WalIoError);
    await expect(wal.append(entries(11, 11), null)).rejects.toThrow(WalIoError);
    await wal.close();
  });
});
