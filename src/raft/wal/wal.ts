/**
 * The write-ahead log: the durable Raft log beside the pure core. Format in
 * format.ts (and docs/wal-format.md); recovery in recover.ts.
 *
 * Group commit: at most one write+fdatasync is in flight. Appends that arrive
 * meanwhile are validated at once (in call order), queued (append-queue.ts,
 * bounded), and the next write carries all of them: one write, one fdatasync.
 * Each append's promise resolves when that fdatasync has returned, so its
 * hard state is durable in the same sync as its entries.
 *
 * Errors: bad input from the core (gaps, non-contiguous entries, terms or
 * commit going down) fails an assertion (log-tracker.ts). Expected failures
 * are named errors (errors.ts). Any I/O failure stops the WAL for good
 * (WalIoError): restart and recover from disk.
 */
import { mkdir, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { assert, AssertionError } from '../core/errors.js';
import { logIndex, term as toTerm, type Entry, type HardState, type Snapshot } from '../core/types.js';
import { planAppend } from './append-plan.js';
import { AppendQueue, type PendingWrite } from './append-queue.js';
import { WalClosedError, WalCompactionError, WalIoError, WalStaleSnapshotError, WalTooLargeError } from './errors.js';
import { RecordType } from './format.js';
import { fsyncDir } from './fs-util.js';
import { WalLock } from './lock.js';
import { LogTracker } from './log-tracker.js';
import { resolveWalOptions, type ResolvedWalOptions, type WalOptions } from './options.js';
import { planExtentBytes, type RecordPlan } from './records.js';
import { recover, type Recovered, type RecoveryReport } from './recover.js';
import { ActiveSegment } from './segment-file.js';
import { SegmentLog } from './segment-log.js';
import { writeSnapshotFile, type SnapshotFileRef } from './snapshot-file.js';
import { newStats, type WalStats, type WalStatsCounters } from './stats.js';

/**
 * Lets the callers whose appends just became durable run before the next batch
 * is taken: a closed-loop caller appends again at once, and joining the next
 * batch beats waiting a whole fsync for the one after (without this, callers
 * split into two groups that alternate, halving the batch). One event-loop turn.
 */
function yieldToCallers(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Snapshot files kept on disk; older ones are deleted after a newer one is recorded. */
export const SNAPSHOT_FILES_KEPT = 2;

/** The durable state found on open, ready to build the core's InitialState. */
export interface RecoveredState {
  /** Term 0, no vote, commit at the snapshot (or 0) when no hard state was ever written. */
  readonly hardState: HardState;
  /** The snapshot the log continues from (metadata and data), or null. */
  readonly snapshot: Snapshot | null;
  /** Every durable entry after the snapshot: contiguous, ascending. */
  readonly entries: readonly Entry[];
}

export interface OpenedWal {
  readonly wal: Wal;
  readonly state: RecoveredState;
  readonly report: RecoveryReport;
}

export class Wal {
  private lifecycle: 'open' | 'closing' | 'closed' = 'open';
  /** Set once any write fails; every later call fails with it. */
  private failure: Error | null = null;
  private flushActive = false;
  private flushDone: Promise<void> = Promise.resolve();
  private inFlight: PendingWrite[] = [];
  /** Snapshot file writes and compactions still running; close() waits for them. */
  private readonly background = new Set<Promise<void>>();
  private closeDone: Promise<void> | null = null;

  private constructor(
    readonly dir: string,
    private readonly options: ResolvedWalOptions,
    private readonly lock: WalLock,
    private readonly tracker: LogTracker,
    private readonly queue: AppendQueue,
    private readonly segmentLog: SegmentLog,
    /** Valid snapshot files on disk, ascending by index. */
    private readonly snapshotFiles: SnapshotFileRef[],
    private readonly counters: WalStatsCounters,
  ) {}

  /**
   * Opens (creating if needed) the WAL in `dir`: takes the lock, replays, cuts
   * a torn tail. Throws WalLockedError, WalCorruptionError, WalSnapshotError or
   * WalConfigError; never opens over data it cannot account for.
   */
  static async open(dir: string, options: WalOptions = {}): Promise<OpenedWal> {
    const resolved = resolveWalOptions(options);
    const created = await mkdir(dir, { recursive: true });
    if (created !== undefined && resolved.sync) await fsyncDir(dirname(created));
    const lock = await WalLock.acquire(dir);
    try {
      const recovered = await recover(dir, resolved.sync);
      return await Wal.start(dir, resolved, lock, recovered);
    } catch (err) {
      await lock.release();
      throw err;
    }
  }

  private static async start(
    dir: string,
    options: ResolvedWalOptions,
    lock: WalLock,
    recovered: Recovered,
  ): Promise<OpenedWal> {
    const { replayed, snapshot, newest, segments } = recovered;
    const snapshotTerm = snapshot?.metadata.term ?? 0;
    const tracker = LogTracker.recovered(replayed.prevIndex, snapshotTerm, replayed.entries, replayed.hardState);
    let active: ActiveSegment;
    if (newest === null) {
      active = await ActiveSegment.create(dir, 1, tracker.lastIndex + 1, options);
      segments.push(active.info);
    } else {
      const newestInfo = segments[segments.length - 1]!;
      active = await ActiveSegment.reopen(dir, newestInfo, newest.validEnd, newest.tornTail !== null, options);
    }
    const queue = new AppendQueue(options.queueBytesMax, options.queueAppendsMax, options.waitersMax);
    const counters = newStats();
    const holdsHardState = newest?.records.some((record) => record.type === RecordType.HardState) ?? false;
    const segmentLog = new SegmentLog(
      dir,
      options,
      segments,
      active,
      replayed.hardState,
      counters,
      tracker.lastIndex,
      holdsHardState,
    );
    const wal = new Wal(dir, options, lock, tracker, queue, segmentLog, recovered.snapshotFiles, counters);
    // No hard state was ever written (a snapshot may have been: the crash came before its hard state).
    const hardState = replayed.hardState ?? { term: toTerm(0), vote: null, commit: logIndex(replayed.prevIndex) };
    const state: RecoveredState = { hardState, snapshot, entries: replayed.entries };
    return { wal, state, report: recovered.report };
  }

  /** Index of the last entry accepted (durable or queued). */
  get lastIndex(): number {
    return this.tracker.lastIndex;
  }

  /** Index of the latest snapshot accepted (0 if none). */
  get snapshotIndex(): number {
    return this.tracker.snapshotIndex;
  }

  stats(): WalStats {
    return {
      ...this.counters,
      backpressureWaits: this.queue.backpressureWaits,
      queuedAppends: this.queue.queuedCount,
      queuedBytes: this.queue.queuedBytes,
      waitingAppends: this.queue.waitingCount,
      segments: this.segmentLog.segmentCount,
      syncInline: this.segmentLog.syncPlacementState.runsInline,
      recentSyncMs: this.segmentLog.syncPlacementState.recentSyncMs,
      syncPlacementChanges: this.segmentLog.syncPlacementState.placementChanges,
    };
  }

  /**
   * Lets group-commit syncs run on the calling thread while they measure fast
   * (options.inlineSyncMsMax), or keeps them in the thread pool (see
   * sync-placement.ts). The server allows it while its replica is not leader.
   */
  allowInlineSync(allowed: boolean): void {
    this.segmentLog.allowInlineSync(allowed);
  }

  /**
   * Appends `entries` (entry i replaces any stored entry at i and after) and
   * `hardState`; resolves once both are durable. Calls are ordered as made.
   * Either may be empty/null; an append of neither resolves once everything
   * accepted before it is durable.
   */
  async append(entries: readonly Entry[], hardState: HardState | null): Promise<void> {
    this.checkUsable();
    this.tracker.checkAppend(entries, hardState);
    const { plans, bytes } = planAppend(entries, hardState, this.options.recordBodyBytesMax);
    if (bytes > this.options.queueBytesMax) {
      throw new WalTooLargeError('queueBytesMax', bytes, this.options.queueBytesMax);
    }
    this.queue.checkRoom(bytes);
    this.tracker.applyAppend(entries, hardState);
    const maxEntryIndex = entries.length > 0 ? entries[entries.length - 1]!.index : 0;
    return this.enqueue(plans, bytes, entries.length, maxEntryIndex, hardState, true).durable;
  }

  /**
   * Records a snapshot: writes its file atomically, then a marker in the log
   * (ordered with appends as called: appends made after this call are written
   * after the marker). Resolves when the marker is durable and segments wholly
   * at or below the snapshot index are deleted (never the active one), keeping
   * the newest SNAPSHOT_FILES_KEPT snapshot files.
   */
  async saveSnapshot(snapshot: Snapshot): Promise<void> {
    this.checkUsable();
    const { index, term } = snapshot.metadata;
    assert(Number.isSafeInteger(index) && index >= 1, `snapshot index ${index} is invalid`);
    assert(Number.isSafeInteger(term) && term >= 0, `snapshot term ${term} is invalid`);
    assert(snapshot.data instanceof Uint8Array, 'snapshot data is not a Uint8Array');
    if (index <= this.tracker.snapshotIndex) throw new WalStaleSnapshotError(index, this.tracker.snapshotIndex);
    const plan: RecordPlan = { type: RecordType.Snapshot, index, term };
    const bytes = planExtentBytes(plan);
    this.queue.checkRoom(bytes);
    this.tracker.installSnapshot(index, term);
    const { write, durable } = this.enqueue([plan], bytes, 0, 0, null, false);
    // recordSnapshot awaits `durable` only after the file is written; if the WAL
    // fails meanwhile the rejection must not count as unhandled until then.
    durable.catch(() => undefined);
    await this.track(this.recordSnapshot(snapshot, write, durable));
  }

  /** File, then marker, then compaction; tracked as one so close() waits for all of it. */
  private async recordSnapshot(snapshot: Snapshot, marker: PendingWrite, markerDurable: Promise<void>): Promise<void> {
    await this.writeSnapshotFile(snapshot, marker);
    await markerDurable;
    await this.compact(snapshot.metadata.index);
  }

  /** Waits for every accepted write to become durable (or fail), then releases the directory. */
  close(): Promise<void> {
    if (this.closeDone === null) {
      this.lifecycle = 'closing';
      this.closeDone = this.shutdown();
    }
    return this.closeDone;
  }

  private async shutdown(): Promise<void> {
    // Each pass waits for progress or ends; no new writes are accepted while closing.
    for (;;) {
      if (this.flushActive) {
        await this.flushDone;
      } else if (this.background.size > 0) {
        await Promise.allSettled([...this.background]);
      } else if (this.queue.isEmpty || this.failure !== null) {
        break;
      } else {
        this.kick();
        assert(this.flushActive, 'accepted writes remain queued but none is ready to write');
      }
    }
    try {
      await this.segmentLog.close();
    } catch (err) {
      if (this.failure === null) throw err; // after a failed write, closing may fail too
    }
    await this.lock.release();
    this.lifecycle = 'closed';
  }

  private checkUsable(): void {
    if (this.failure !== null) throw this.failure;
    if (this.lifecycle !== 'open') throw new WalClosedError(this.dir);
  }

  private enqueue(
    plans: readonly RecordPlan[],
    bytes: number,
    entryCount: number,
    maxEntryIndex: number,
    hardState: HardState | null,
    ready: boolean,
  ): { write: PendingWrite; durable: Promise<void> } {
    let settle!: { resolve: () => void; reject: (err: Error) => void };
    const durable = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
    const write: PendingWrite = { plans, bytes, entryCount, maxEntryIndex, hardState, ready, ...settle };
    this.queue.push(write);
    if (ready) this.kick();
    return { write, durable };
  }

  /** Registers work that close() must wait for; returns it for the caller to await. */
  private track(work: Promise<void>): Promise<void> {
    const tracked = work.finally(() => this.background.delete(tracked));
    this.background.add(tracked);
    return tracked;
  }

  private kick(): void {
    if (!this.flushActive && this.failure === null) this.flushDone = this.flushLoop();
  }

  /** Writes batches until nothing ready is queued. Exactly one runs at a time. */
  private async flushLoop(): Promise<void> {
    this.flushActive = true;
    try {
      for (;;) {
        const batch = this.queue.takeReady();
        if (batch.length === 0) break;
        this.inFlight = batch;
        await this.segmentLog.writeBatch(batch);
        this.inFlight = [];
        for (const write of batch) write.resolve();
        await yieldToCallers();
      }
    } catch (err) {
      this.fail(err);
    } finally {
      this.flushActive = false;
    }
  }

  /** Stops the WAL: rejects everything pending. An assertion failure (a bug) is passed on as is. */
  private fail(cause: unknown): void {
    if (this.failure === null) {
      this.failure =
        cause instanceof AssertionError
          ? cause
          : new WalIoError(`WAL ${this.dir} failed and accepts nothing more: ${(cause as Error).message}`, { cause });
    }
    for (const write of [...this.inFlight, ...this.queue.drain()]) write.reject(this.failure);
    this.inFlight = [];
  }

  /** Writes the file, then lets the marker be written. Never rejects: a failure stops the WAL. */
  private async writeSnapshotFile(snapshot: Snapshot, marker: PendingWrite): Promise<void> {
    try {
      const ref = await writeSnapshotFile(this.dir, snapshot, this.options.sync);
      this.snapshotFiles.push(ref);
      this.snapshotFiles.sort((a, b) => a.index - b.index);
      marker.ready = true;
      this.kick();
    } catch (err) {
      this.fail(err);
    }
  }

  /** Deletes segments the snapshot covers and snapshot files beyond the newest kept. */
  private async compact(snapshotIndex: number): Promise<void> {
    try {
      await this.segmentLog.deleteCoveredSegments(snapshotIndex);
      const excess = Math.max(0, this.snapshotFiles.length - SNAPSHOT_FILES_KEPT);
      for (const ref of this.snapshotFiles.splice(0, excess)) {
        await unlink(join(this.dir, ref.name));
        this.counters.snapshotFilesDeleted++;
      }
      if (this.options.sync && excess > 0) await fsyncDir(this.dir);
    } catch (err) {
      const message = `WAL ${this.dir}: compaction after snapshot ${snapshotIndex} failed: ${(err as Error).message}`;
      throw new WalCompactionError(message, { cause: err });
    }
  }
}
