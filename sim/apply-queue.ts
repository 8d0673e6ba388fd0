/**
 * A replica's apply chain: committed entries (and snapshot installs) wait here
 * in order until the state machine applies them, later than the core's
 * advance(), as the production driver applies on its own ordered chain so the
 * next batch's fsync overlaps the state machine's write. Bounded: the driver
 * takes no new Ready while more than the bound's entries wait.
 */
import type { Entry, SnapshotMetadata } from '../src/raft/core/types.js';

export type ApplyWork =
  | { readonly kind: 'entries'; readonly entries: readonly Entry[] }
  | { readonly kind: 'install'; readonly metadata: SnapshotMetadata; readonly data: Uint8Array };

export class ApplyQueue {
  private work: ApplyWork[] = [];
  private entryCount = 0;
  /** True while an apply event is scheduled for the queued work. */
  scheduled = false;

  get queuedEntries(): number {
    return this.entryCount;
  }

  get isEmpty(): boolean {
    return this.work.length === 0;
  }

  push(work: ApplyWork): void {
    this.work.push(work);
    if (work.kind === 'entries') this.entryCount += work.entries.length;
  }

  /** Everything queued, oldest first; the queue is left empty. */
  takeAll(): ApplyWork[] {
    const all = this.work;
    this.work = [];
    this.entryCount = 0;
    this.scheduled = false;
    return all;
  }

  clear(): void {
    this.takeAll();
  }
}
