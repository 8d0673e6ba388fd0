/**
 * The one place where typed errors become gRPC status codes (the API edge).
 * Messages stay the ones the errors carry: they name the field or the state
 * that was wrong, so a person can act on them.
 */
import { status as Code, type ServiceError, Metadata } from '@grpc/grpc-js';
import {
  CommandTooLargeError,
  CompactedError,
  FsmError,
  RejectedError,
  TooManyReadersError,
  ValidationError,
  WatchCancelledError,
  WatchOverflowError,
  type RejectionCode,
} from '../fsm/index.js';
import { NotLeaderError, ProposalDroppedError, RaftError } from '../raft/core/errors.js';
import { DriverError, OverloadedError } from '../raft/node/errors.js';

/** Thrown by API handlers for request problems found before anything is proposed. */
export class ApiError extends Error {
  constructor(
    readonly code: Code,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const invalidArgument = (field: string, problem: string): ApiError => new ApiError(Code.INVALID_ARGUMENT, `${field}: ${problem}`);

const REJECTION_CODES: Readonly<Record<RejectionCode, Code>> = {
  Invalid: Code.INVALID_ARGUMENT,
  UnsupportedVersion: Code.INVALID_ARGUMENT,
  AlreadyExists: Code.ALREADY_EXISTS,
  NotFound: Code.NOT_FOUND,
  CasMismatch: Code.FAILED_PRECONDITION,
  RevisionMismatch: Code.FAILED_PRECONDITION,
  StalePlacement: Code.FAILED_PRECONDITION,
  InvalidTransition: Code.FAILED_PRECONDITION,
  StaleSequence: Code.FAILED_PRECONDITION,
  SessionExpired: Code.FAILED_PRECONDITION,
  LimitExceeded: Code.RESOURCE_EXHAUSTED,
};

/** Overload and size limits are RESOURCE_EXHAUSTED (retrying elsewhere does not help); the rest is transient. */
const PROPOSAL_DROP_CODES: Readonly<Record<ProposalDroppedError['reason'], Code>> = {
  'no-leader': Code.UNAVAILABLE,
  'transfer-in-progress': Code.UNAVAILABLE,
  'not-a-member': Code.UNAVAILABLE,
  'conf-change-pending': Code.FAILED_PRECONDITION,
  'uncommitted-bytes-exceeded': Code.RESOURCE_EXHAUSTED,
  'proposal-queue-full': Code.RESOURCE_EXHAUSTED,
  'read-queue-full': Code.RESOURCE_EXHAUSTED,
  'entry-too-large': Code.RESOURCE_EXHAUSTED,
};

function isServiceError(err: unknown): err is ServiceError {
  return typeof (err as ServiceError)?.code === 'number' && (err as ServiceError).metadata instanceof Metadata && typeof (err as ServiceError).details === 'string';
}

export function grpcCodeOf(err: unknown): Code {
  if (err instanceof ApiError) return err.code;
  if (isServiceError(err)) return err.code;
  if (err instanceof RejectedError) return REJECTION_CODES[err.code];
  if (err instanceof ValidationError) return Code.INVALID_ARGUMENT;
  if (err instanceof CommandTooLargeError) return Code.RESOURCE_EXHAUSTED;
  if (err instanceof CompactedError) return Code.OUT_OF_RANGE;
  if (err instanceof WatchOverflowError || err instanceof WatchCancelledError) return Code.ABORTED;
  if (err instanceof TooManyReadersError || err instanceof OverloadedError) return Code.RESOURCE_EXHAUSTED;
  if (err instanceof ProposalDroppedError) return PROPOSAL_DROP_CODES[err.reason];
  if (err instanceof NotLeaderError || err instanceof DriverError || err instanceof RaftError) return Code.UNAVAILABLE;
  if (err instanceof FsmError) return Code.INTERNAL;
  return Code.INTERNAL;
}

/** A gRPC error for `err`; internal errors keep their message but are marked as such. */
export function toServiceError(err: unknown): Partial<ServiceError> {
  const code = grpcCodeOf(err);
  // A status relayed from the leader keeps its own text (not grpc-js's "5 NOT_FOUND: ..." message).
  const relayed = isServiceError(err) ? err.details : null;
  const message = relayed ?? (err instanceof Error ? err.message : String(err));
  return { code, details: code === Code.INTERNAL ? `internal error: ${message}` : message, metadata: new Metadata() };
}
