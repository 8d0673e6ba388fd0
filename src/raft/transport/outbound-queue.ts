/**
 * The bounded queue of encoded messages waiting for one peer's stream.
 *
 * Invariants: count <= countMax and bytes <= bytesMax at all times; bytes is
 * the sum of queued frame lengths; order is FIFO (evicted items just vanish).
 *
 * Overflow policy (Raft tolerates loss; the queue must not grow): an incoming
 * bulky message (App, Prop) that does not fit is dropped — the newest goes, so
 * the peer still receives a prefix of what was sent. An incoming control
 * message that does not fit evicts the newest queued bulky messages if that
 * makes room, else it is dropped too. Every drop is returned to the caller.
 *
 * Cost: O(1) amortized per push and per taken item. Evicted items leave a
 * tombstone (null) in place, so positions of queued bulky items stay valid in
 * the `bulky` index; tombstones are skipped by take() and swept out (by push
 * or take) once they outnumber countMax, which keeps the backing array below
 * 2 * countMax + 2 slots past the head even when the peer never reads.
 */
import type { Message } from '../core/types.js';
import { assert } from '../core/errors.js';

export interface QueuedFrame {
  readonly message: Message;
  /** One encoded MessageBatch.messages field (see wire-encode.ts). */
  readonly frame: Uint8Array;
  readonly entryCount: number;
  readonly bulky: boolean;
}

export interface BatchLimits {
  readonly bytesMax: number;
  readonly messagesMax: number;
  readonly entriesMax: number;
}

export interface TakenBatch {
  readonly frames: Uint8Array[];
  readonly bytes: number;
  readonly messageCount: number;
}

/** Compact the backing array once this many consumed slots precede the head. */
const COMPACT_HEAD_MIN = 1024;

export class OutboundQueue {
  /** Queued items from `head` on; null marks an evicted item. */
  private items: (QueuedFrame | null)[] = [];
  private head = 0;
  private liveCount = 0;
  private queuedBytes = 0;
  /** Positions in `items` of live bulky items, ascending, from `bulkyHead` on. */
  private bulky: number[] = [];
  private bulkyHead = 0;
  private bulkyBytes = 0;

  constructor(
    private readonly countMax: number,
    private readonly bytesMax: number,
  ) {
    assert(countMax > 0 && bytesMax > 0, 'queue bounds are positive');
  }

  get count(): number {
    return this.liveCount;
  }

  get bytes(): number {
    return this.queuedBytes;
  }

  /** Slots of the backing array past the head (live items and tombstones); bounded, see above. */
  get slotCount(): number {
    return this.items.length - this.head;
  }

  /** Queues `item` if the bounds allow; returns the messages dropped to keep them. */
  push(item: QueuedFrame): Message[] {
    const size = item.frame.length;
    if (this.fits(size, 0, 0)) {
      this.append(item);
      return [];
    }
    const bulkyLive = this.bulky.length - this.bulkyHead;
    if (item.bulky || !this.fits(size, bulkyLive, this.bulkyBytes)) return [item.message];
    const evicted: Message[] = [];
    while (!this.fits(size, 0, 0)) evicted.push(this.evictNewestBulky());
    this.append(item);
    this.compact();
    return evicted;
  }

  /** Removes a batch from the head: at least one frame when not empty, within `limits` otherwise. */
  take(limits: BatchLimits): TakenBatch {
    const frames: Uint8Array[] = [];
    let bytes = 0;
    let entries = 0;
    for (; this.head < this.items.length; this.head++) {
      const item = this.items[this.head];
      if (item === null) continue;
      const withinBounds =
        bytes + item.frame.length <= limits.bytesMax &&
        frames.length < limits.messagesMax &&
        entries + item.entryCount <= limits.entriesMax;
      if (frames.length > 0 && !withinBounds) break;
      frames.push(item.frame);
      bytes += item.frame.length;
      entries += item.entryCount;
      this.liveCount--;
      if (item.bulky) this.consumeOldestBulky(item.frame.length);
    }
    this.queuedBytes -= bytes;
    assert(this.queuedBytes >= 0 && this.liveCount >= 0, 'queue accounting never negative');
    this.compact();
    return { frames, bytes, messageCount: frames.length };
  }

  /** Empties the queue; returns what was queued. */
  clear(): Message[] {
    const dropped: Message[] = [];
    for (let i = this.head; i < this.items.length; i++) {
      const item = this.items[i];
      if (item !== null) dropped.push(item.message);
    }
    this.reset();
    return dropped;
  }

  private fits(frameBytes: number, freedCount: number, freedBytes: number): boolean {
    return (
      this.liveCount - freedCount + 1 <= this.countMax && this.queuedBytes - freedBytes + frameBytes <= this.bytesMax
    );
  }

  private append(item: QueuedFrame): void {
    if (item.bulky) {
      this.bulky.push(this.items.length);
      this.bulkyBytes += item.frame.length;
    }
    this.items.push(item);
    this.liveCount++;
    this.queuedBytes += item.frame.length;
    assert(this.liveCount <= this.countMax && this.queuedBytes <= this.bytesMax, 'queue within its bounds');
  }

  private evictNewestBulky(): Message {
    assert(this.bulky.length > this.bulkyHead, 'a bulky item is left to evict');
    const position = this.bulky.pop()!;
    const victim = this.items[position];
    assert(victim !== null && victim.bulky, 'bulky index points at a live bulky item');
    this.items[position] = null;
    this.liveCount--;
    this.queuedBytes -= victim.frame.length;
    this.bulkyBytes -= victim.frame.length;
    return victim.message;
  }

  private consumeOldestBulky(frameBytes: number): void {
    assert(this.bulky[this.bulkyHead] === this.head, 'oldest bulky position is the head');
    this.bulkyHead++;
    this.bulkyBytes -= frameBytes;
  }

  /** Drops consumed slots and, when they pile up, tombstones; rebuilds the bulky index to match. */
  private compact(): void {
    if (this.liveCount === 0) {
      this.reset();
      return;
    }
    const tombstones = this.items.length - this.head - this.liveCount;
    const headHeavy = this.head >= COMPACT_HEAD_MIN && this.head * 2 >= this.items.length;
    if (!headHeavy && tombstones <= this.countMax) return;
    const live = this.items.slice(this.head).filter((item): item is QueuedFrame => item !== null);
    this.reset();
    for (const item of live) this.append(item);
    assert(this.items.length === this.liveCount, 'compaction leaves no tombstone');
  }

  private reset(): void {
    this.items = [];
    this.head = 0;
    this.liveCount = 0;
    this.queuedBytes = 0;
    this.bulky = [];
    this.bulkyHead = 0;
    this.bulkyBytes = 0;
  }
}
