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
  | 'not-a-member';

/** A proposal (or read, or conf change) was not accepted; nothing was appended. */
export class ProposalDroppedError extends RaftError {
  constructor(
    readonly reason: ProposalDropReason,
    message: string,
  ) {
    super(message);
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
