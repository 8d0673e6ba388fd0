/**
 * Expected failures of the write-ahead log, as named errors. Bugs in the
 * caller (non-contiguous entries, index gaps, a decreasing term or commit) are
 * assertion failures instead (see ../core/errors.ts) and are never caught.
 */

export class WalError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * Stored bytes are damaged somewhere a crash cannot explain (a sealed segment,
 * or a bad record followed by durable data), or the stored log contradicts
 * itself. The WAL refuses to open: dropping the data could drop committed
 * entries. `file` and `offset` say where; the operator decides (restore, or
 * wipe the replica and let the cluster re-replicate it).
 */
export class WalCorruptionError extends WalError {
  constructor(
    readonly file: string,
    readonly offset: number,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`WAL corruption in ${file} at byte offset ${offset}: ${reason}`, options);
  }
}

/** The snapshot needed to open the WAL is missing or damaged and no older one can stand in. */
export class WalSnapshotError extends WalError {}

/** Another process (or another Wal in this process) holds the directory's lock file. */
export class WalLockedError extends WalError {
  constructor(
    readonly dir: string,
    readonly holderPid: number | null,
    detail: string,
  ) {
    super(
      `WAL directory ${dir} is locked by ${holderPid === null ? 'an unknown process' : `PID ${holderPid}`}` +
        ` (${detail}); stop that process, or remove the LOCK file if you are sure it is gone`,
    );
  }
}

/** A WalOptions value is invalid; `field` names it. */
export class WalConfigError extends WalError {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`invalid WAL option ${field}: ${message}`);
  }
}

/** The operation was asked of a WAL that is closed or closing. */
export class WalClosedError extends WalError {
  constructor(dir: string) {
    super(`WAL ${dir} is closed`);
  }
}

/**
 * A write or sync failed. The WAL stops for good: after a failed fsync the
 * page cache may no longer match the disk, so retrying could report data as
 * durable that is not (the 2018 "fsyncgate"). Every pending and later call
 * fails with this error; restart the process and recover from disk.
 */
export class WalIoError extends WalError {}

/** One append, or one entry, is larger than the configured bound allows. */
export class WalTooLargeError extends WalError {
  constructor(
    readonly field: string,
    readonly sizeBytes: number,
    readonly limitBytes: number,
  ) {
    super(`WAL append refused: ${sizeBytes} bytes exceeds ${field} (${limitBytes} bytes)`);
  }
}

/** Too many callers are already waiting for room in the append queue. */
export class WalOverloadedError extends WalError {
  constructor(readonly waitersMax: number) {
    super(`WAL overloaded: ${waitersMax} appends already wait for room in the queue`);
  }
}

/** saveSnapshot() was given a snapshot that is not newer than the latest one. */
export class WalStaleSnapshotError extends WalError {
  constructor(
    readonly index: number,
    readonly latestIndex: number,
  ) {
    super(`snapshot at index ${index} is not newer than the latest snapshot at index ${latestIndex}`);
  }
}

/**
 * Deleting segments or old snapshot files after a snapshot failed. The
 * snapshot itself is durable and the WAL keeps working; the files left behind
 * are harmless (replay skips what a snapshot covers) and are deleted by the
 * first compaction after the next open.
 */
export class WalCompactionError extends WalError {}
