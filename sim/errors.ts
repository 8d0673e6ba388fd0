/**
 * Expected failures of a simulation run. A violation is what the simulator
 * exists to find: it ends the seed's run and is reported with its trace.
 * Bugs in the simulator itself are assertion failures instead (never caught).
 */

export type ViolationKind =
  /** Two leaders observed in one term. */
  | 'election-safety'
  /** A replica became leader of a term without votes of that term from a quorum. */
  | 'election-quorum'
  /** A replica granted its vote to two candidates in one term (e.g. it forgot a vote in a crash). */
  | 'double-vote'
  /** Two logs hold the same (index, term) with different contents or different prefixes. */
  | 'log-matching'
  /** A new leader's log lacks an entry committed before its term. */
  | 'leader-completeness'
  /** Two replicas applied different entries (or reached different states) at one index. */
  | 'state-machine-safety'
  /** A committed entry is no longer durable on enough voters to survive. */
  | 'durability'
  /** A replica promised (granted a vote, acknowledged entries) what was not yet durable. */
  | 'premature-promise'
  /** A leader advanced its commit index to an entry of an earlier term (Raft §5.4.2). */
  | 'commit-rule'
  /** After the faults stopped, the cluster did not elect a leader or commit within the bound. */
  | 'liveness'
  /** The clients' history is not linearizable. */
  | 'linearizability'
  /** The linearizability checker gave up (timeout): the run proved nothing about the history. */
  | 'history-undecided'
  /** The core broke its Ready contract (gaps, order, entries below its snapshot). */
  | 'core-contract'
  /** The core threw an error that is not one of its expected, named errors (an assertion failed). */
  | 'core-error';

export class SimViolation extends Error {
  constructor(
    readonly kind: ViolationKind,
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${kind}: ${detail}`, options);
    this.name = 'SimViolation';
  }
}

/** A command-line or option value is invalid; `option` names it. */
export class SimOptionError extends Error {
  constructor(
    readonly option: string,
    message: string,
  ) {
    super(`invalid option ${option}: ${message}`);
    this.name = 'SimOptionError';
  }
}

/** Thrown by simAssert(): the simulator's own invariant does not hold. A simulator bug; never caught. */
export class SimAssertionError extends Error {
  constructor(message: string) {
    super(`simulator assertion failed: ${message}`);
    this.name = 'SimAssertionError';
  }
}

export function simAssert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new SimAssertionError(message);
}
