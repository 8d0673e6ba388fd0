/**
 * Where a group commit's fdatasync runs: on the calling thread (blocking it)
 * or in the thread pool. On a fast disk the sync takes ~0.1-0.2 ms (measured
 * here: ext4 on virtio), less than handing it to the pool and being woken when
 * it is done (two context switches, and on a VM an interprocessor interrupt
 * each); on a slow disk blocking the event loop for every sync would stall the
 * replica's network and clients. So: inline while the recent syncs are fast,
 * the pool once they are not. An exponentially weighted average of measured
 * durations decides, with hysteresis (back to inline only below half the bound)
 * so one placement does not flap at the boundary.
 */
import { assert } from '../core/errors.js';

/** Weight of the newest measurement in the average. */
const EWMA_WEIGHT = 0.2;

export class SyncPlacement {
  private averageMs = 0;
  private inline: boolean;
  private changes = 0;
  /** The owner may keep syncs in the pool whatever they measure (see allowInline). */
  private inlineAllowed = true;

  /** `inlineSyncMsMax` 0: always the pool. */
  constructor(private readonly inlineSyncMsMax: number) {
    assert(inlineSyncMsMax >= 0, `inlineSyncMsMax ${inlineSyncMsMax} must be >= 0`);
    this.inline = inlineSyncMsMax > 0;
  }

  /** Whether the next sync runs on the calling thread. */
  get runsInline(): boolean {
    return this.inline && this.inlineAllowed;
  }

  /**
   * Lets syncs run inline (when fast enough) or keeps them in the pool. A Raft
   * leader keeps them in the pool: its own sync overlaps the followers' round
   * trip, and blocking its event loop would delay their answers and clients.
   */
  allowInline(allowed: boolean): void {
    this.inlineAllowed = allowed;
  }

  /** Times the placement moved between the calling thread and the pool. */
  get placementChanges(): number {
    return this.changes;
  }

  /** Average of recent sync durations (ms), as measured by the callers. */
  get recentSyncMs(): number {
    return this.averageMs;
  }

  /** Records how long a sync took (wall time, thread-pool wait included when it ran there). */
  record(durationMs: number): void {
    this.averageMs = this.averageMs === 0 ? durationMs : this.averageMs + EWMA_WEIGHT * (durationMs - this.averageMs);
    if (this.inlineSyncMsMax === 0) return;
    const inline = this.inline ? this.averageMs <= this.inlineSyncMsMax : this.averageMs < this.inlineSyncMsMax / 2;
    if (inline !== this.inline) this.changes++;
    this.inline = inline;
  }
}
