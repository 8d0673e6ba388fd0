// Goal: the group-commit queue never holds more than its bounds, keeps call
// order across waiting, stops at an unready snapshot marker, and refuses one
// waiter too many. Method: drive AppendQueue directly with fake writes.
import { describe, expect, it } from 'vitest';
import { AppendQueue, type PendingWrite } from '../../../src/raft/wal/append-queue.js';
import { WalOverloadedError } from '../../../src/raft/wal/errors.js';

const write = (id: number, bytes: number, ready = true): PendingWrite & { id: number } => ({
  id,
  plans: [],
  bytes,
  entryCount: 1,
  maxEntryIndex: id,
  hardState: null,
  ready,
  resolve: () => {},
  reject: () => {},
});
const ids = (batch: PendingWrite[]) => batch.map((w) => (w as PendingWrite & { id: number }).id);

describe('append queue', () => {
  it('bounds count and bytes; waiters enter in call order as batches are taken', () => {
    const queue = new AppendQueue(100, 3, 10);
    for (let id = 1; id <= 6; id++) {
      queue.checkRoom(40);
      queue.push(write(id, 40));
      expect(queue.queuedBytes).toBeLessThanOrEqual(100);
      expect(queue.queuedCount).toBeLessThanOrEqual(3);
    }
    expect([queue.queuedCount, queue.waitingCount, queue.backpressureWaits]).toEqual([2, 4, 4]);
    expect(ids(queue.takeReady())).toEqual([1, 2]);
    expect(ids(queue.takeReady())).toEqual([3, 4]);
    expect(ids(queue.takeReady())).toEqual([5, 6]);
    expect(queue.isEmpty).toBe(true);
  });

  it('a later small write waits behind an earlier big one (order is kept)', () => {
    const queue = new AppendQueue(100, 10, 10);
    queue.push(write(1, 90));
    queue.push(write(2, 60));
    queue.push(write(3, 5));
    expect([queue.queuedCount, queue.waitingCount]).toEqual([1, 2]);
    expect(ids(queue.takeReady())).toEqual([1]);
    expect(ids(queue.takeReady())).toEqual([2, 3]);
  });

  it('stops a batch at a snapshot marker whose file is not yet durable', () => {
    const queue = new AppendQueue(1000, 10, 10);
    const marker = write(2, 8, false);
    [write(1, 8), marker, write(3, 8)].forEach((w) => queue.push(w));
    expect(ids(queue.takeReady())).toEqual([1]);
    expect(ids(queue.takeReady())).toEqual([]);
    marker.ready = true;
    expect(ids(queue.takeReady())).toEqual([2, 3]);
  });

  it('refuses one waiter too many with WalOverloadedError', () => {
    const queue = new AppendQueue(1000, 1, 2);
    queue.push(write(1, 8));
    queue.push(write(2, 8));
    queue.push(write(3, 8));
    expect(() => queue.checkRoom(8)).toThrow(WalOverloadedError);
    expect(ids(queue.drain())).toEqual([1, 2, 3]);
  });
});
