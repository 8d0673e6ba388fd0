// Goal: the WAL runs fdatasync on the calling thread only while recent syncs
// are fast, moves it to the thread pool once they are slow, and comes back
// only when they are clearly fast again (hysteresis); 0 means always the pool,
// and so does an owner that disallows inline syncs (a Raft leader).
// The option is validated, and a real WAL reports where its syncs run.
// Method: SyncPlacement fed with chosen durations; a WAL in a temp dir.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EntryType, logIndex, term } from '../../../src/raft/core/types.js';
import { Wal } from '../../../src/raft/wal/index.js';
import { SyncPlacement } from '../../../src/raft/wal/sync-placement.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('SyncPlacement', () => {
  it('starts inline, goes to the pool when the average passes the bound, and returns below half of it', () => {
    const p = new SyncPlacement(1);
    expect(p.runsInline).toBe(true);
    for (let i = 0; i < 20; i++) p.record(0.2);
    expect(p.runsInline).toBe(true);
    p.record(8); // one slow sync: 0.2 + 0.2 * 7.8 = 1.76 ms average
    expect(p.recentSyncMs).toBeCloseTo(1.76, 5);
    expect(p.runsInline).toBe(false);
    p.record(0.6); // 1.528: still above half the bound
    p.record(0.6);
    expect(p.runsInline).toBe(false);
    for (let i = 0; i < 10; i++) p.record(0.3);
    expect(p.recentSyncMs).toBeLessThan(0.5);
    expect(p.runsInline).toBe(true);
  });

  it('stays in the pool while its owner disallows inline syncs, measuring all along', () => {
    const p = new SyncPlacement(1);
    p.allowInline(false);
    expect(p.runsInline).toBe(false);
    for (let i = 0; i < 5; i++) p.record(0.2);
    expect(p.runsInline).toBe(false);
    p.allowInline(true);
    expect(p.runsInline).toBe(true);
    p.record(20); // slow: back to the pool on its own, whatever the owner allows
    expect(p.runsInline).toBe(false);
  });

  it('stays in the pool when the bound is 0', () => {
    const p = new SyncPlacement(0);
    expect(p.runsInline).toBe(false);
    for (let i = 0; i < 10; i++) p.record(0.01);
    expect(p.runsInline).toBe(false);
  });
});

describe('WAL inlineSyncMsMax', () => {
  it('refuses a bound out of range, naming the option', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wal-sync-'));
    dirs.push(dir);
    await expect(Wal.open(dir, { inlineSyncMsMax: -1 })).rejects.toThrow(/inlineSyncMsMax/);
    await expect(Wal.open(dir, { inlineSyncMsMax: Number.NaN })).rejects.toThrow(/inlineSyncMsMax/);
  });

  it('reports where its syncs run and how long they took', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wal-sync-'));
    dirs.push(dir);
    const { wal } = await Wal.open(dir, { inlineSyncMsMax: 0 });
    const entry = (i: number) => ({ index: logIndex(i), term: term(1), type: EntryType.Normal, data: new Uint8Array(16) });
    for (let i = 1; i <= 5; i++) await wal.append([entry(i)], null);
    const stats = wal.stats();
    expect(stats.syncInline).toBe(false);
    expect(stats.fsyncs).toBe(5);
    expect(stats.recentSyncMs).toBeGreaterThan(0);
    expect(stats.syncPlacementChanges).toBe(0);
    await wal.close();
  });

  it('runs syncs inline while allowed and fast, in the pool once disallowed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wal-sync-'));
    dirs.push(dir);
    const { wal } = await Wal.open(dir, { inlineSyncMsMax: 1000 });
    const entry = (i: number) => ({ index: logIndex(i), term: term(1), type: EntryType.Normal, data: new Uint8Array(16) });
    await wal.append([entry(1)], null);
    expect(wal.stats().syncInline).toBe(true);
    wal.allowInlineSync(false);
    await wal.append([entry(2)], null);
    expect(wal.stats().syncInline).toBe(false);
    wal.allowInlineSync(true);
    expect(wal.stats().syncInline).toBe(true);
    expect(wal.stats().fsyncs).toBe(2);
    await wal.close();
  });
});
