/**
 * The leader's view of one follower's log (etcd's tracker.Progress).
 *
 * States:
 *  - probe: we do not know where the follower's log ends; send one
 *    AppendEntries at a time and wait for its answer (or a heartbeat answer);
 *  - replicate: the follower is keeping up; pipeline AppendEntries optimistically
 *    (next is advanced on send) within the inflights bounds;
 *  - snapshot: the follower needs a snapshot; send nothing until the driver
 *    reports the snapshot finished or failed.
 *
 * Invariant: 0 <= match < next.
 */
import { fail } from '../errors.js';
import { Inflights } from './inflights.js';

export type ProgressState = 'probe' | 'replicate' | 'snapshot';

export class Progress {
  match = 0;
  next = 1;
  state: ProgressState = 'probe';
  /** Snapshot state: index of the snapshot being sent. */
  pendingSnapshot = 0;
  /** Heard from since the last check-quorum round (or since becoming leader). */
  recentActive = false;
  /** Probe: a probe is outstanding. Replicate: inflights are full. */
  flowPaused = false;
  /** Highest commit index sent to this follower in an AppendEntries. */
  sentCommit = 0;
  /** Leader tick count when this follower was last heard from (for lease reads). */
  lastHeardTick = -Infinity;
  readonly inflights: Inflights;

  constructor(
    public isLearner: boolean,
    inflightMsgsMax: number,
    inflightBytesMax: number,
  ) {
    this.inflights = new Inflights(inflightMsgsMax, inflightBytesMax);
  }

  /** Start of a leader term: nothing is known about the follower but where we hope it ends. */
  resetForLeader(lastIndex: number): void {
    this.match = 0;
    this.next = lastIndex + 1;
    this.state = 'probe';
    this.pendingSnapshot = 0;
    this.recentActive = false;
    this.flowPaused = false;
    this.sentCommit = 0;
    this.lastHeardTick = -Infinity;
    this.inflights.reset();
  }

  becomeProbe(): void {
    if (this.state === 'snapshot') {
      const pending = this.pendingSnapshot;
      this.next = Math.max(this.match + 1, pending + 1);
    } else {
      this.next = this.match + 1;
    }
    this.state = 'probe';
    this.pendingSnapshot = 0;
    this.flowPaused = false;
    this.inflights.reset();
    this.sentCommit = Math.min(this.sentCommit, this.next - 1);
  }

  becomeReplicate(): void {
    this.state = 'replicate';
    this.next = this.match + 1;
    this.pendingSnapshot = 0;
    this.flowPaused = false;
    this.inflights.reset();
  }

  becomeSnapshot(snapshotIndex: number): void {
    this.state = 'snapshot';
    this.pendingSnapshot = snapshotIndex;
    this.flowPaused = false;
    this.inflights.reset();
  }

  /** An acknowledgement up to `index`: returns whether match moved. */
  maybeUpdate(index: number): boolean {
    let updated = false;
    if (this.match < index) {
      this.match = index;
      this.flowPaused = false;
      updated = true;
    }
    this.next = Math.max(this.next, index + 1);
    if (this.match >= this.next) fail(`progress match ${this.match} must be < next ${this.next}`);
    return updated;
  }

  /**
   * A rejection of the AppendEntries whose previous index was `rejected`; the
   * follower's log probably matches ours up to `matchHint`. Returns false for a
   * stale rejection.
   */
  maybeDecrTo(rejected: number, matchHint: number): boolean {
    // The follower acknowledged `match` in this term, so a rejection at or below it is stale.
    if (rejected <= this.match) return false;
    if (this.state === 'replicate') {
      this.next = this.match + 1;
    } else {
      // Probes go out one at a time, so only a rejection of the latest one is current.
      if (this.next - 1 !== rejected) return false;
      this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1);
      this.flowPaused = false;
    }
    this.sentCommit = Math.min(this.sentCommit, this.next - 1);
    if (this.match >= this.next) fail(`progress match ${this.match} must be < next ${this.next}`);
    return true;
  }

  /** No AppendEntries may be sent now. */
  isPaused(): boolean {
    return this.state === 'snapshot' || this.flowPaused;
  }

  /** Bookkeeping after sending `entryCount` entries of `bytes` payload. */
  sentEntries(entryCount: number, bytes: number): void {
    if (this.state === 'replicate') {
      if (entryCount > 0) {
        this.next += entryCount;
        this.inflights.add(this.next - 1, bytes);
      }
      this.flowPaused = this.inflights.full();
    } else if (this.state === 'probe') {
      this.flowPaused = true;
    }
  }
}
