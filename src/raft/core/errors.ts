/** Expected failures of the core, as named errors. Bugs are assertion failures instead. */

export class RaftError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A configuration value is invalid; `field` names it. */
export class ConfigError extends RaftError {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`invalid raft config: ${field}: ${message}`);
  }
}

export type ProposalDropReason =
  | 'no-leader'
  | 'transfer-in-progress'
  | 'uncommitted-bytes-exceeded'
  | 'proposal-queue-full'
  | 'conf-change-pending'
  | 'not-a-member'
  /** One entry's data is larger than maxMsgEntriesBytes (it could never be sent). */
  | 'entry-too-large'
  /** Too many ReadIndex requests are waiting for a confirmation round (bound: maxPendingProposals). */
  | 'read-queue-full';

/** A proposal (or read, or conf change) was not accepted; nothing was appended. */
export class ProposalDroppedError extends RaftError {
  constructor(
    readonly reason: ProposalDropReason,
    message: string,
  ) {
    super(message);
  }
}

/** Why a membership change is invalid against the current configuration. */
export type ConfChangeProblem =
  | 'already-a-member'
  | 'already-a-voter'
  | 'not-a-member'
  | 'not-a-learner'
  | 'last-voter';

/** A membership change that cannot apply to the current configuration (e.g. adding an existing member). */
export class InvalidConfChangeError extends RaftError {
  constructor(
    readonly problem: ConfChangeProblem,
    readonly node: string,
    message: string,
  ) {
    super(`invalid membership change for ${node}: ${problem}: ${message}`);
  }
}

/** transferLeadership() named a node that cannot take leadership. */
export class LeadershipTransferError extends RaftError {
  constructor(
    readonly transferee: string,
    readonly problem: 'not-a-voter',
  ) {
    super(`cannot transfer leadership to ${transferee}: ${problem}`);
  }
}

/** An operation that only a leader can perform was asked of a non-leader. */
export class NotLeaderError extends RaftError {
  constructor(readonly leaderHint: string | null) {
    super(leaderHint === null ? 'not the leader; no leader known' : `not the leader; leader is ${leaderHint}`);
  }
}

/** Thrown by assert(): an invariant does not hold. A bug; never caught. */
export class AssertionError extends Error {
  constructor(message: string) {
    super(`assertion failed: ${message}`);
    this.name = 'AssertionError';
  }
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionError(message);
}

/**
 * An invariant does not hold: throws AssertionError. For hot paths, where a
 * message built on every call would cost: `if (!(invariant)) fail(\`...\`)`
 * builds the message only on failure.
 */
export function fail(message: string): never {
  throw new AssertionError(message);
}
