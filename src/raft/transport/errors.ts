/**
 * Expected failures of the peer transport, as named errors. Bugs (a driver
 * breaking the API contract) are assertion failures instead, see assert() in
 * ../core/errors.ts.
 *
 * Nothing here is thrown into the event loop: outbound drops are reported to
 * TransportHandlers.onMessagesDropped, inbound rejections are counted and
 * logged, and snapshot failures reject the sendSnapshot() promise.
 */
import type { NodeId } from '../core/types.js';

export class TransportError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A configuration value is invalid; `field` names it. */
export class TransportConfigError extends TransportError {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`invalid transport config: ${field}: ${message}`);
  }
}

/** The transport was stopped (or never started) while the operation was pending. */
export class TransportStoppedError extends TransportError {}

// ---------------------------------------------------------------------------
// Outbound messages that were not sent. Raft tolerates message loss; these are
// reported so the driver can react (a leader moves the follower to probing).

export type DropReason = 'queue-full' | 'too-large' | 'unknown-peer' | 'peer-unreachable';

export abstract class MessageDropError extends TransportError {
  abstract readonly reason: DropReason;
  constructor(
    readonly peer: NodeId,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The peer's outbound queue was at its count or byte bound. */
export class OutboundQueueFullError extends MessageDropError {
  readonly reason = 'queue-full' as const;
}

/**
 * A single message exceeds what one batch may carry (encoded bytes over the
 * gRPC message limit, or more entries than batchEntriesMax). Means the core's
 * maxMsgEntriesBytes is set above the transport's limits; resending the same
 * message would fail again.
 */
export class MessageTooLargeError extends MessageDropError {
  readonly reason = 'too-large' as const;
  constructor(
    peer: NodeId,
    readonly limit: 'bytes' | 'entries',
    readonly size: number,
    readonly sizeMax: number,
  ) {
    super(peer, `message to ${peer} has ${size} ${limit}; the limit is ${sizeMax}`);
  }
}

/** The destination is not (or no longer) a configured peer. */
export class UnknownPeerError extends MessageDropError {
  readonly reason = 'unknown-peer' as const;
}

/** Queued messages discarded because the stream to the peer broke or could not be opened. */
export class PeerUnreachableError extends MessageDropError {
  readonly reason = 'peer-unreachable' as const;
}

// ---------------------------------------------------------------------------
// Inbound data that failed validation. Never propagated: counted and logged.

export type InboundRejectReason =
  | 'decode'
  | 'invalid-field'
  | 'unknown-peer'
  | 'wrong-sender'
  | 'wrong-target'
  | 'too-large';

/** An inbound batch or snapshot header failed decoding or validation. */
export class InboundRejectedError extends TransportError {
  constructor(
    readonly reason: InboundRejectReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

// ---------------------------------------------------------------------------
// Snapshot transfers. sendSnapshot() rejects with one of these.

export class SnapshotTransferError extends TransportError {
  constructor(
    readonly peer: NodeId,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export type SnapshotRejectReason =
  | 'checksum'
  | 'offset'
  | 'too-large'
  | 'timeout'
  | 'invalid'
  | 'sink-failed'
  | 'superseded'
  | 'unavailable'
  | 'incomplete'
  | 'unspecified';

/** The receiver refused the transfer; `reason` says why. */
export class SnapshotRejectedError extends SnapshotTransferError {
  constructor(
    peer: NodeId,
    readonly reason: SnapshotRejectReason,
    readonly detail: string,
  ) {
    super(peer, `snapshot rejected by ${peer}: ${reason}: ${detail}`);
  }
}

/** The transfer did not finish within snapshotTimeoutMs (or stalled for snapshotIdleTimeoutMs). */
export class SnapshotTimeoutError extends SnapshotTransferError {}

/** The snapshot source yielded more than snapshotBytesMax bytes. */
export class SnapshotTooLargeError extends SnapshotTransferError {}

/** The snapshot source (the state machine's iterator) threw. */
export class SnapshotSourceError extends SnapshotTransferError {}

/** A transfer to this peer is already running; at most one runs per peer. */
export class SnapshotInProgressError extends SnapshotTransferError {}

/** The gRPC call failed (connection lost, peer down, fault injection). */
export class SnapshotStreamError extends SnapshotTransferError {}
