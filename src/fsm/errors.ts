/**
 * Errors of the state machine, in two families:
 *
 * 1. Rejections: the deterministic outcome of applying a command that is not
 *    allowed in the current state (or could not be decoded). They are DATA
 *    (`Rejection`), identical on every replica, stored in client sessions and
 *    returned from apply(). `rejectionError()` turns one into a named Error
 *    subclass so the API edge can map `code` to a gRPC status.
 * 2. Local errors: failures of this replica's storage or of a reader
 *    (watch compacted, watcher too slow, snapshot corrupt, closed). They never
 *    enter the replicated state.
 *
 * Bugs are AssertionError (from ../raft/core/errors.js) and are never caught.
 */

/** Every rejection code. The API edge maps these to gRPC status codes. */
export type RejectionCode =
  /** A field is missing or out of bounds; `field` names it. (INVALID_ARGUMENT) */
  | 'Invalid'
  /** The command envelope has a version this replica does not know. (INVALID_ARGUMENT) */
  | 'UnsupportedVersion'
  | 'AlreadyExists'
  | 'NotFound'
  /** kv.cas compare failed. (FAILED_PRECONDITION) */
  | 'CasMismatch'
  /** An expectedModRevision did not match. (FAILED_PRECONDITION) */
  | 'RevisionMismatch'
  /** A placement was based on a revision (or term) that is no longer current. (FAILED_PRECONDITION / ABORTED) */
  | 'StalePlacement'
  /** An assignment state change that the state graph does not allow. (FAILED_PRECONDITION) */
  | 'InvalidTransition'
  /** A seq below the session's floor: its answer was acknowledged, or dropped. (FAILED_PRECONDITION) */
  | 'StaleSequence'
  /** No longer produced: an unknown client now starts a session at any seq (sessions.ts). (FAILED_PRECONDITION) */
  | 'SessionExpired'
  /** A quota or per-object limit would be exceeded. (RESOURCE_EXHAUSTED) */
  | 'LimitExceeded';

/** Extra numbers or strings that make a rejection actionable (e.g. the actual revision). */
export type RejectionDetails = Readonly<Record<string, number | string>>;

/** A deterministic rejection, stored and returned as data. */
export interface Rejection {
  readonly code: RejectionCode;
  readonly message: string;
  /** The offending field for `Invalid` (dotted path like `op.node.capabilities.cores`). */
  readonly field?: string;
  readonly details?: RejectionDetails;
}

export function rejection(
  code: RejectionCode,
  message: string,
  extra: { field?: string; details?: RejectionDetails } = {},
): Rejection {
  const out: { code: RejectionCode; message: string; field?: string; details?: RejectionDetails } = {
    code,
    message,
  };
  if (extra.field !== undefined) out.field = extra.field;
  if (extra.details !== undefined) out.details = extra.details;
  return out;
}

/** Base of every named error this module throws or hands out. */
export class FsmError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * A value failed validation. Thrown by the validate* functions (so the API
 * edge can answer INVALID_ARGUMENT before proposing) and converted into an
 * `Invalid` rejection when an entry is decoded.
 */
export class ValidationError extends FsmError {
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`invalid ${field}: ${reason}`);
  }
}

/** A command, once encoded, is larger than an entry may be. (RESOURCE_EXHAUSTED) */
export class CommandTooLargeError extends FsmError {
  constructor(
    readonly sizeBytes: number,
    readonly sizeBytesMax: number,
  ) {
    super(`command is ${sizeBytes} bytes; at most ${sizeBytesMax} bytes are allowed`);
  }
}

/** A rejection surfaced as an Error. One subclass per code so callers can use instanceof. */
export class RejectedError extends FsmError {
  readonly code: RejectionCode;
  readonly field: string | undefined;
  readonly details: RejectionDetails | undefined;
  constructor(readonly rejection: Rejection) {
    super(rejection.message);
    this.code = rejection.code;
    this.field = rejection.field;
    this.details = rejection.details;
  }
}
export class InvalidCommandError extends RejectedError {}
export class UnsupportedVersionError extends RejectedError {}
export class AlreadyExistsError extends RejectedError {}
export class NotFoundError extends RejectedError {}
export class CasMismatchError extends RejectedError {}
export class RevisionMismatchError extends RejectedError {}
export class StalePlacementError extends RejectedError {}
export class InvalidTransitionError extends RejectedError {}
export class StaleSequenceError extends RejectedError {}
export class SessionExpiredError extends RejectedError {}
export class LimitExceededError extends RejectedError {}

const errorClassByCode: Readonly<Record<RejectionCode, new (r: Rejection) => RejectedError>> = {
  Invalid: InvalidCommandError,
  UnsupportedVersion: UnsupportedVersionError,
  AlreadyExists: AlreadyExistsError,
  NotFound: NotFoundError,
  CasMismatch: CasMismatchError,
  RevisionMismatch: RevisionMismatchError,
  StalePlacement: StalePlacementError,
  InvalidTransition: InvalidTransitionError,
  StaleSequence: StaleSequenceError,
  SessionExpired: SessionExpiredError,
  LimitExceeded: LimitExceededError,
};

/** The named Error for a rejection (for callers that prefer throwing). */
export function rejectionError(r: Rejection): RejectedError {
  return new errorClassByCode[r.code](r);
}

/** A watch asked for a revision that the change log no longer holds. */
export class CompactedError extends FsmError {
  constructor(
    readonly requestedRevision: number,
    readonly oldestRevision: number,
  ) {
    super(`revision ${requestedRevision} is compacted; the oldest revision available is ${oldestRevision}`);
  }
}

/**
 * A watcher fell behind: its buffer bound was reached and it was cancelled so
 * apply never blocks and memory never grows. Resume with a new watch from
 * `resumeRevision` (every event before it was delivered).
 */
export class WatchOverflowError extends FsmError {
  constructor(
    readonly resumeRevision: number,
    readonly bufferedEvents: number,
    readonly bufferedBytes: number,
  ) {
    super(
      `watcher fell behind (${bufferedEvents} events, ${bufferedBytes} bytes buffered); ` +
        `resume from revision ${resumeRevision}`,
    );
  }
}

/** A watcher was ended by the state machine (closed, or its state replaced by a snapshot). */
export class WatchCancelledError extends FsmError {
  constructor(
    readonly reason: 'closed' | 'restored',
    readonly resumeRevision: number,
  ) {
    super(`watch cancelled (${reason}); resume from revision ${resumeRevision}`);
  }
}

/** More concurrent watchers (or snapshot streams) than the configured bound. */
export class TooManyReadersError extends FsmError {
  constructor(
    readonly what: 'watchers' | 'snapshots',
    readonly max: number,
  ) {
    super(`too many open ${what} (at most ${max})`);
  }
}

/** A snapshot stream failed verification (crc, order, framing, or content). Nothing was swapped in. */
export class SnapshotCorruptError extends FsmError {}

/** A snapshot older than (or equal to) the applied state was offered; it is not installed. */
export class SnapshotOutdatedError extends FsmError {
  constructor(
    readonly snapshotIndex: number,
    readonly appliedIndex: number,
  ) {
    super(`snapshot at index ${snapshotIndex} is not newer than applied index ${appliedIndex}`);
  }
}

/** The state machine is closed; no reads or writes are possible. */
export class StateMachineClosedError extends FsmError {
  constructor() {
    super('state machine is closed');
  }
}

/**
 * A storage operation failed during apply or restore. The in-memory state of
 * this instance can no longer be trusted; every later call throws this error.
 * Reopen the directory to recover (the last complete batch is on disk).
 */
export class StateMachineFailedError extends FsmError {}

/** The database could not be opened (e.g. locked by another process). */
export class StoreOpenError extends FsmError {}

/** A configuration value is invalid or conflicts with the stored one; `field` names it. */
export class FsmConfigError extends FsmError {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`invalid state machine config: ${field}: ${message}`);
  }
}

/** A snapshot stream ended early: the state machine was closed or restored, or a read failed. */
export class SnapshotAbortedError extends FsmError {}
