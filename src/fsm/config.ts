/**
 * State machine configuration, validated once at open().
 *
 * Two kinds of settings:
 * - ReplicatedLimits decide what apply() does (quotas, session and change-log
 *   retention), so every replica must use the same values. They are written
 *   into a fresh database and read back from it ever after; a snapshot carries
 *   them to a new replica. Opening an existing database with different
 *   explicit values is refused (FsmConfigError) rather than silently diverging.
 * - Local settings bound this replica's readers (watch buffers, snapshot
 *   chunks, page sizes) and may differ between replicas.
 */
import { FsmConfigError } from './errors.js';
import type { FileOps } from './swap.js';

export interface ReplicatedLimits {
  /** Revisions kept in the change log (how far back a watch can resume). */
  readonly changeLogRevisionsMax: number;
  /** Bytes kept in the change log; the oldest revisions go first (the newest always stays). */
  readonly changeLogBytesMax: number;
  /** Client sessions remembered for exactly-once retries; the least recently used is evicted. */
  readonly sessionsMax: number;
  readonly nodesMax: number;
  readonly modelsMax: number;
  readonly kvKeysMax: number;
  /** Sum of kv value bytes. */
  readonly kvBytesMax: number;
}

export const DEFAULT_REPLICATED_LIMITS: ReplicatedLimits = {
  changeLogRevisionsMax: 10_000,
  changeLogBytesMax: 64 * 1024 * 1024,
  sessionsMax: 10_000,
  nodesMax: 10_000,
  modelsMax: 10_000,
  kvKeysMax: 1_000_000,
  kvBytesMax: 1024 * 1024 * 1024,
};

export interface LocalSettings {
  /** Events buffered for one live watcher before it is cancelled as too slow. */
  readonly watchBufferEventsMax: number;
  /** Approximate bytes buffered for one live watcher before it is cancelled. */
  readonly watchBufferBytesMax: number;
  readonly watchersMax: number;
  /** Revisions read from the change log per catch-up step of a watcher. */
  readonly watchHistoryPageRevisions: number;
  /** Target size of one snapshot chunk (a chunk exceeds it by at most one record). */
  readonly snapshotChunkBytes: number;
  /** Snapshot streams open at once. */
  readonly snapshotStreamsMax: number;
  /** Largest page a list/range read returns. */
  readonly readPageItemsMax: number;
  /**
   * fsync every applied batch. Off by default: an unsynced batch survives a
   * process crash (it is in the OS page cache) and, after a power loss, the
   * WAL replays whatever suffix was lost. Use sync() before compacting the WAL.
   */
  readonly syncWrites: boolean;
  /**
   * How long applied batches gather before they are written to LevelDB as one
   * (write-behind.ts); 0: each on the next turn of the event loop. Reads and
   * snapshots never wait for it (they flush first); live watchers see events
   * up to this much later.
   */
  readonly storeDelayMs: number;
  /** Keys gathered for one LevelDB write before the applier waits for it to be submitted. */
  readonly storeWritesMax: number;
}

export const DEFAULT_LOCAL_SETTINGS: LocalSettings = {
  watchBufferEventsMax: 4096,
  watchBufferBytesMax: 16 * 1024 * 1024,
  watchersMax: 1024,
  watchHistoryPageRevisions: 256,
  snapshotChunkBytes: 1024 * 1024,
  snapshotStreamsMax: 4,
  readPageItemsMax: 1000,
  syncWrites: false,
  storeDelayMs: 5,
  storeWritesMax: 16_384,
};

export interface StateMachineOptions extends Partial<LocalSettings> {
  /** Used only when the database is created; must match the stored values otherwise. */
  readonly replicatedLimits?: Partial<ReplicatedLimits>;
  /** File-system operations of the restore swap (replaceable to inject crashes in tests). */
  readonly fileOps?: FileOps;
}

const replicatedBounds: Readonly<Record<keyof ReplicatedLimits, readonly [number, number]>> = {
  changeLogRevisionsMax: [1, 10_000_000],
  changeLogBytesMax: [1024, 2 ** 40],
  sessionsMax: [1, 10_000_000],
  nodesMax: [1, 10_000_000],
  modelsMax: [1, 10_000_000],
  kvKeysMax: [1, 1_000_000_000],
  kvBytesMax: [1024, 2 ** 44],
};

const localBounds: Readonly<Record<Exclude<keyof LocalSettings, 'syncWrites'>, readonly [number, number]>> = {
  watchBufferEventsMax: [1, 10_000_000],
  watchBufferBytesMax: [1024, 2 ** 34],
  watchersMax: [1, 1_000_000],
  watchHistoryPageRevisions: [1, 100_000],
  snapshotChunkBytes: [1024, 64 * 1024 * 1024],
  snapshotStreamsMax: [1, 1024],
  readPageItemsMax: [1, 100_000],
  storeDelayMs: [0, 1000],
  storeWritesMax: [1, 10_000_000],
};

function checkInteger(field: string, value: number, [min, max]: readonly [number, number]): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new FsmConfigError(field, `must be an integer in [${min}, ${max}] (got ${value})`);
  }
}

export function resolveReplicatedLimits(given: Partial<ReplicatedLimits> | undefined): ReplicatedLimits {
  const limits = { ...DEFAULT_REPLICATED_LIMITS, ...given };
  for (const field of Object.keys(replicatedBounds) as (keyof ReplicatedLimits)[]) {
    checkInteger(`replicatedLimits.${field}`, limits[field], replicatedBounds[field]);
  }
  return limits;
}

export function resolveLocalSettings(options: StateMachineOptions): LocalSettings {
  const settings: LocalSettings = {
    watchBufferEventsMax: options.watchBufferEventsMax ?? DEFAULT_LOCAL_SETTINGS.watchBufferEventsMax,
    watchBufferBytesMax: options.watchBufferBytesMax ?? DEFAULT_LOCAL_SETTINGS.watchBufferBytesMax,
    watchersMax: options.watchersMax ?? DEFAULT_LOCAL_SETTINGS.watchersMax,
    watchHistoryPageRevisions: options.watchHistoryPageRevisions ?? DEFAULT_LOCAL_SETTINGS.watchHistoryPageRevisions,
    snapshotChunkBytes: options.snapshotChunkBytes ?? DEFAULT_LOCAL_SETTINGS.snapshotChunkBytes,
    snapshotStreamsMax: options.snapshotStreamsMax ?? DEFAULT_LOCAL_SETTINGS.snapshotStreamsMax,
    readPageItemsMax: options.readPageItemsMax ?? DEFAULT_LOCAL_SETTINGS.readPageItemsMax,
    syncWrites: options.syncWrites ?? DEFAULT_LOCAL_SETTINGS.syncWrites,
    storeDelayMs: options.storeDelayMs ?? DEFAULT_LOCAL_SETTINGS.storeDelayMs,
    storeWritesMax: options.storeWritesMax ?? DEFAULT_LOCAL_SETTINGS.storeWritesMax,
  };
  for (const field of Object.keys(localBounds) as (keyof typeof localBounds)[]) {
    checkInteger(field, settings[field], localBounds[field]);
  }
  return settings;
}

/** Refuses explicit limits that differ from the ones a database was created with. */
export function checkStoredLimits(stored: ReplicatedLimits, given: Partial<ReplicatedLimits> | undefined): void {
  for (const field of Object.keys(given ?? {}) as (keyof ReplicatedLimits)[]) {
    const value = given![field];
    if (value !== undefined && value !== stored[field]) {
      throw new FsmConfigError(
        `replicatedLimits.${field}`,
        `the database was created with ${stored[field]}; replicas must agree, so it cannot change to ${value}`,
      );
    }
  }
}
