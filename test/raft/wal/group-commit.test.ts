// Goal: concurrent appends are all durable, in call order, and coalesced: far
// fewer fdatasyncs than appends; the queue's bounds hold and turn into waiting
// (backpressure), then into WalOverloadedError; close() drains; a failed write
// stops the WAL for good. Method: many concurrent appends against a real WAL
// with real fdatasync, reading the WAL's own counters, then a restart.
import { closeSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Wal, WalIoError, WalOverloadedError, type WalOptions } from '../../../src/raft/wal/index.js';
import { entries, entry, hardState, shape, tempDir } from './helpers.js';

describe('group commit', () => {
  it('makes 64 concurrent appends durable with few fdatasyncs, in call order', async () => {
    const dir = tempDir();
    const { wal } = await Wal.open(dir);
    const appends = [];
    for (let i = 1; i <= 64; i++) appends.push(wal.append([entry(i)], hardState(1, Math.max(0, i - 1))));
    await Promise.all(appends);
    const stats = wal.stats();
    expect(stats.appends).toBe(64);
    expect(stats.fsyncs).toBe(stats.writes);
    expect(stats.fsyncs).toBeLessThan(64 / 4);
    expect(stats.largestBatchWrites).toBeGreaterThan(8);
    await wal.close();
    const { wal: again, state } = await Wal.open(dir);
    expect(shape(state.entries)).toEqual(shape(entries(1, 64)));
    expect(state.hardState).toEqual(hardState(1, 63));
    await again.close();
  });

  it('coalesces closed-loop proposers: each waits for its own append before the next', async () => {
    const dir = tempDir();
    const { wal } = await Wal.open(dir);
    let nextIndex = 1;
    const proposer = async (rounds: number) => {
      for (let r = 0; r < rounds; r++) await wal.append([entry(nextIndex++, 1, 256)], null);
    };
    await Promise.all(Array.from({ length: 16 }, () => proposer(20)));
    const stats = wal.stats();
    expect(stats.appends).toBe(320);
    expect(stats.fsyncs).toBeLessThan(320 / 4);
    await wal.close();
    const { wal: again, state } = await Wal.open(dir);
    expect(shape(state.entries)).toEqual(shape(entries(1, 320, 1, 256)));
    await again.close();
  });

  it('holds the queue to its bounds: callers wait, then are refused when too many wait', async () => {
    const dir = tempDir();
    const options: WalOptions = { queueAppendsMax: 4, queueBytesMax: 4096, waitersMax: 20 };
    const { wal } = await Wal.open(dir, options);
    const appends: Promise<void>[] = [];
    let maxQueued = 0;
    let maxQueuedBytes = 0;
    for (let i = 1; i <= 25; i++) {
      appends.push(wal.append([entry(i, 1, 100)], null));
      maxQueued = Math.max(maxQueued, wal.stats().queuedAppends);
      maxQueuedBytes = Math.max(maxQueuedBytes, wal.stats().queuedBytes);
    }
    expect(wal.stats().waitingAppends).toBe(20);
    await expect(wal.append([entry(26, 1, 100)], null)).rejects.toThrow(WalOverloadedError);
    await Promise.all(appends);
    expect([maxQueued, maxQueuedBytes <= 4096]).toEqual([4, true]);
    expect(wal.stats().backpressureWaits).toBe(20);
    await wal.append([entry(26, 1, 100)], null); // the refused call took nothing: 26 is still next
    await wal.close();
    const { wal: again, state } = await Wal.open(dir, options);
    expect(shape(state.entries)).toEqual(shape(entries(1, 26, 1, 100)));
    await again.close();
  });

  it('close() waits for every accepted append to become durable', async () => {
    const dir = tempDir();
    const { wal } = await Wal.open(dir);
    const appends = Array.from({ length: 10 }, (_, k) => wal.append([entry(k + 1)], null));
    await wal.close();
    await Promise.all(appends);
    const { wal: again, state } = await Wal.open(dir);
    expect(state.entries.length).toBe(10);
    await again.close();
  });

  it('stops for good after a failed write, failing the pending and later appends', async () => {
    const dir = tempDir();
    const { wal } = await Wal.open(dir);
    await wal.append([entry(1)], null);
    // Fault injection: swap the active segment's descriptor for one that is not open (EBADF).
    const active = (wal as unknown as { segmentLog: { active: { fd: number } } }).segmentLog.active;
    const realFd = active.fd;
    active.fd = 1_000_000;
    const failing = [wal.append([entry(2)], null), wal.append([entry(3)], null)];
    for (const append of failing) await expect(append).rejects.toThrow(WalIoError);
    await expect(wal.append([entry(4)], null)).rejects.toThrow(/failed and accepts nothing more/);
    await wal.close();
    closeSync(realFd);
    const { wal: again, state } = await Wal.open(dir);
    expect(shape(state.entries)).toEqual(shape(entries(1, 1)));
    await again.close();
  });
});
