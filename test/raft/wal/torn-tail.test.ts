// Goal: a crash in the middle of the last write never stops the WAL from
// opening and never loses a whole record before it: a tail cut at EVERY byte
// offset of the last write, a zeroed tail, and sectors of the last write that
// never reached the disk all recover to exactly the last whole record, and the
// WAL appends normally afterwards.
// Method: write a WAL, keep its newest segment's bytes, then for each damage
// write a damaged copy into a fresh directory, open it, check the state and the
// report, append, reopen, check again.
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Wal, type WalOptions } from '../../../src/raft/wal/index.js';
import { recordExtentBytes } from '../../../src/raft/wal/format.js';
import { entries, hardState, segmentNames, shape, tempDir } from './helpers.js';

// These tests check recovery logic over hundreds of reopen cycles; they turn
// fsync off (sync: false) because durability is not what they measure.
const NO_SYNC: WalOptions = { sync: false, preallocateBytes: 0 };
const BIG_ENTRY_BYTES = 700; // the last entry spans two 512-byte sectors
const HUGE_ENTRY_BYTES = 1500; // spans a whole sector and then some

interface Fixture {
  readonly name: string;
  /** Segment bytes before the last write, and after it. */
  readonly before: Buffer;
  readonly after: Buffer;
  /** Offset where the last write's hard-state record starts. */
  readonly hardStateAt: number;
  readonly lastEntryBytes: number;
}

/** Entries 1..5 (+ hard state), then a last write: entry 6 (lastEntryBytes) and hard state (2, 5). */
async function buildFixture(lastEntryBytes = BIG_ENTRY_BYTES): Promise<Fixture> {
  const dir = tempDir();
  const { wal } = await Wal.open(dir, NO_SYNC);
  for (let i = 1; i <= 5; i++) await wal.append(entries(i, i, 1), hardState(1, i - 1, 'n1'));
  await wal.close();
  const name = segmentNames(dir)[0]!;
  const before = readFileSync(join(dir, name));
  const reopened = await Wal.open(dir, NO_SYNC);
  await reopened.wal.append(entries(6, 6, 2, lastEntryBytes), hardState(2, 5, 'n2'));
  await reopened.wal.close();
  const after = readFileSync(join(dir, name));
  const hardStateAt = before.length + recordExtentBytes(12 + 13 + lastEntryBytes);
  return { name, before, after, hardStateAt, lastEntryBytes };
}

async function openCopy(fixture: Fixture, bytes: Buffer, options: WalOptions = NO_SYNC) {
  const dir = tempDir();
  writeFileSync(join(dir, fixture.name), bytes);
  return { dir, ...(await Wal.open(dir, options)) };
}

/** Opens the damaged copy, checks it recovered to `expectedLast` entries, appends, reopens. */
async function expectRecovery(fixture: Fixture, bytes: Buffer, expectedLast: 5 | 6) {
  const { dir, wal, state, report } = await openCopy(fixture, bytes);
  const expected =
    expectedLast === 5 ? entries(1, 5, 1) : [...entries(1, 5, 1), ...entries(6, 6, 2, fixture.lastEntryBytes)];
  expect(shape(state.entries)).toEqual(shape(expected));
  expect(state.hardState).toEqual(hardState(1, 4, 'n1'));
  await wal.append(entries(expectedLast + 1, expectedLast + 1, 3), hardState(3, 5, null));
  await wal.close();
  const again = await Wal.open(dir, NO_SYNC);
  expect(shape(again.state.entries)).toEqual(shape([...expected, ...entries(expectedLast + 1, expectedLast + 1, 3)]));
  expect(again.state.hardState).toEqual(hardState(3, 5, null));
  expect(again.report.tornTail).toBeNull();
  await again.wal.close();
  return report;
}

describe('torn tail', () => {
  it('recovers to the last whole record for a cut at every byte offset of the last write', async () => {
    const fixture = await buildFixture();
    const { before, after, hardStateAt } = fixture;
    expect(after.subarray(0, before.length).equals(before)).toBe(true);
    const check = async (cut: number) => {
      const lastWhole = cut >= hardStateAt ? 6 : 5;
      const report = await expectRecovery(fixture, after.subarray(0, cut), lastWhole);
      const cleanCut = cut === before.length || cut === hardStateAt;
      expect(report.tornTail?.offset ?? null).toBe(cleanCut ? null : cut < hardStateAt ? before.length : hardStateAt);
    };
    const cuts = Array.from({ length: after.length - before.length }, (_, k) => before.length + k);
    const parallel = 8; // independent directories: overlap their file I/O
    for (let at = 0; at < cuts.length; at += parallel) await Promise.all(cuts.slice(at, at + parallel).map(check));
    expect(cuts.length).toBeGreaterThan(700);
  });

  it('recovers when the whole last write reads as zeros (file length kept)', async () => {
    const fixture = await buildFixture();
    const zeroed = Buffer.from(fixture.after);
    zeroed.fill(0, fixture.before.length);
    await expectRecovery(fixture, zeroed, 5);
  });

  it('recovers when only the last sector of the last write is zero', async () => {
    const fixture = await buildFixture();
    const zeroed = Buffer.from(fixture.after);
    const lastSector = (fixture.after.length - 1) & ~511;
    zeroed.fill(0, lastSector);
    const report = await expectRecovery(fixture, zeroed, lastSector >= fixture.hardStateAt ? 6 : 5);
    expect(report.tornTail).not.toBeNull();
  });

  it('recovers when a middle sector of the last write never reached the disk but later ones did', async () => {
    const fixture = await buildFixture(HUGE_ENTRY_BYTES);
    const damaged = Buffer.from(fixture.after);
    const sector = Math.ceil(fixture.before.length / 512) * 512; // first whole sector of the entry
    expect(sector + 512).toBeLessThan(fixture.hardStateAt);
    damaged.fill(0, sector, sector + 512);
    const report = await expectRecovery(fixture, damaged, 5);
    expect(report.tornTail).toMatchObject({ offset: fixture.before.length, reason: 'record body checksum mismatch' });
  });

  it('treats preallocated zeros after the last record as the clean end, and keeps preallocating', async () => {
    const dir = tempDir();
    const options: WalOptions = { preallocateBytes: 64 * 1024 };
    const first = await Wal.open(dir, options);
    await first.wal.append(entries(1, 20, 1, 100), hardState(1, 10));
    await first.wal.close();
    const path = join(dir, segmentNames(dir)[0]!);
    expect(statSync(path).size).toBe(32 + 64 * 1024);
    const second = await Wal.open(dir, options);
    expect(second.report.tornTail).toBeNull();
    expect(second.state.entries.length).toBe(20);
    await second.wal.append(entries(21, 700, 1, 100), null); // past the first preallocation step
    await second.wal.close();
    expect(statSync(path).size).toBeGreaterThan(64 * 1024);
    const third = await Wal.open(dir, options);
    expect(third.state.entries.length).toBe(700);
    await third.wal.close();
  });

  it('cuts the torn bytes off the file before appending, with real fsync', async () => {
    const fixture = await buildFixture();
    const cut = fixture.hardStateAt - 100;
    const { dir, wal, report } = await openCopy(fixture, fixture.after.subarray(0, cut), { preallocateBytes: 0 });
    expect(report.tornTail).toMatchObject({ file: join(dir, fixture.name), offset: fixture.before.length });
    expect(statSync(join(dir, fixture.name)).size).toBe(fixture.before.length);
    await wal.close();
  });
});
