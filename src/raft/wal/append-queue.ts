/**
 * The group-commit queue: writes accepted while a write+fdatasync is in
 * flight, taken all at once by the next write.
 *
 * Bounds: the admitted part holds at most `bytesMax` bytes and `countMax`
 * writes; a write that does not fit waits (FIFO, keeping call order) until a
 * batch is taken; at most `waitersMax` may wait, and one more is refused with
 * WalOverloadedError. Waiting writes hold only the caller's own arrays, never
 * copies, so WAL memory is bounded by bytesMax for the queue plus bytesMax for
 * the batch being written.
 */
import type { HardState } from '../core/types.js';
import { assert } from '../core/errors.js';
import { WalOverloadedError } from './errors.js';
import type { RecordPlan } from './records.js';

export interface PendingWrite {
  readonly plans: readonly RecordPlan[];
  /** Encoded size of all plans, padding included. */
  readonly bytes: number;
  /** Entries carried (for stats). */
  readonly entryCount: number;
  /** Highest entry index carried, 0 if none. */
  readonly maxEntryIndex: number;
  /** The last hard state carried, if any. */
  readonly hardState: HardState | null;
  /** False while a snapshot marker waits for its file; nothing behind it is written before it. */
  ready: boolean;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
}

export class AppendQueue {
  private admitted: PendingWrite[] = [];
  private admittedBytes = 0;
  private waiting: PendingWrite[] = [];
  /** Writes that had to wait for room (backpressure events), since open. */
  backpressureWaits = 0;

  constructor(
    private readonly bytesMax: number,
    private readonly countMax: number,
    private readonly waitersMax: number,
  ) {}

  get queuedCount(): number {
    return this.admitted.length;
  }

  get queuedBytes(): number {
    return this.admittedBytes;
  }

  get waitingCount(): number {
    return this.waiting.length;
  }

  get isEmpty(): boolean {
    return this.admitted.length === 0 && this.waiting.length === 0;
  }

  private fits(bytes: number): boolean {
    return this.admitted.length < this.countMax && this.admittedBytes + bytes <= this.bytesMax;
  }

  /** Throws WalOverloadedError if a write of `bytes` could neither enter nor wait. Changes nothing. */
  checkRoom(bytes: number): void {
    assert(bytes <= this.bytesMax, `write of ${bytes} bytes can never fit the queue`);
    if (this.waiting.length === 0 && this.fits(bytes)) return;
    if (this.waiting.length >= this.waitersMax) throw new WalOverloadedError(this.waitersMax);
  }

  /** Admits the write, or makes it wait behind the earlier waiters. Call checkRoom() first. */
  push(write: PendingWrite): void {
    if (this.waiting.length === 0 && this.fits(write.bytes)) {
      this.admit(write);
      return;
    }
    assert(this.waiting.length < this.waitersMax, 'waiter bound exceeded: checkRoom() was not called');
    this.waiting.push(write);
    this.backpressureWaits++;
  }

  private admit(write: PendingWrite): void {
    this.admitted.push(write);
    this.admittedBytes += write.bytes;
  }

  /**
   * Removes and returns the longest prefix of ready writes (stopping at a
   * snapshot marker whose file is not yet durable), then lets waiters in.
   */
  takeReady(): PendingWrite[] {
    let count = 0;
    while (count < this.admitted.length && this.admitted[count]!.ready) count++;
    const batch = this.admitted.splice(0, count);
    for (const write of batch) this.admittedBytes -= write.bytes;
    this.admitWaiters();
    assert(
      this.admittedBytes >= 0 && this.admittedBytes <= this.bytesMax,
      `queued bytes ${this.admittedBytes} out of bounds`,
    );
    return batch;
  }

  /** Moves waiters, in order, into the admitted part while they fit. */
  private admitWaiters(): void {
    let bytes = this.admittedBytes;
    let count = 0;
    while (count < this.waiting.length) {
      const next = this.waiting[count]!;
      if (this.admitted.length + count + 1 > this.countMax || bytes + next.bytes > this.bytesMax) break;
      bytes += next.bytes;
      count++;
    }
    for (const write of this.waiting.splice(0, count)) this.admit(write);
  }

  /** Removes every queued and waiting write (the WAL failed or is closing). */
  drain(): PendingWrite[] {
    const all = [...this.admitted, ...this.waiting];
    this.admitted = [];
    this.waiting = [];
    this.admittedBytes = 0;
    return all;
  }
}
