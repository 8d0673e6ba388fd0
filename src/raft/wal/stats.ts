/** Counters the WAL keeps since open; tests and the benchmark read them. */

export interface WalStatsCounters {
  /** append() calls made durable. */
  appends: number;
  /** Entries made durable. */
  entries: number;
  /** Snapshot markers made durable. */
  snapshots: number;
  /** Segment writes: one per group commit (a batch of appends and markers). */
  writes: number;
  /** fdatasync calls that made a batch durable (0 when the `sync` option is off). */
  fsyncs: number;
  bytesWritten: number;
  /** Most appends and markers carried by one write. */
  largestBatchWrites: number;
  /** Segments started because the active one was full. */
  rotations: number;
  segmentsDeleted: number;
  snapshotFilesDeleted: number;
}

export interface WalStats extends Readonly<WalStatsCounters> {
  /** Appends that found the queue full and had to wait (backpressure). */
  readonly backpressureWaits: number;
  /** Appends queued behind the write in flight, and their bytes. */
  readonly queuedAppends: number;
  readonly queuedBytes: number;
  /** Appends waiting for room in the queue. */
  readonly waitingAppends: number;
  /** Segment files on disk, the active one included. */
  readonly segments: number;
  /** Whether the next fdatasync runs on the calling thread, and the recent average sync duration (ms). */
  readonly syncInline: boolean;
  readonly recentSyncMs: number;
  /** Times the group commit's fdatasync moved between the calling thread and the thread pool. */
  readonly syncPlacementChanges: number;
}

export function newStats(): WalStatsCounters {
  return {
    appends: 0,
    entries: 0,
    snapshots: 0,
    writes: 0,
    fsyncs: 0,
    bytesWritten: 0,
    largestBatchWrites: 0,
    rotations: 0,
    segmentsDeleted: 0,
    snapshotFilesDeleted: 0,
  };
}
