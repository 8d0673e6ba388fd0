/** Expected failures of the replica driver; mapped to gRPC status codes only at the API edge. */

export class DriverError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The request did not complete before its deadline (no quorum, or overload). Outcome unknown for writes. */
export class RequestTimeoutError extends DriverError {}

/** Too many requests are already waiting on this replica; retry later. */
export class OverloadedError extends DriverError {}

/** The replica is stopping or stopped. */
export class StoppedError extends DriverError {}

/** The proposal's log position was taken by another leader's entry; it was not applied there (retry is safe). */
export class ProposalLostError extends DriverError {}

/** No leader is known right now. */
export class NoLeaderError extends DriverError {}

/**
 * This replica was removed from the cluster's configuration (see removal.ts).
 * Raised once; the replica stops, and every request it still held fails with it.
 */
export class RemovedFromClusterError extends DriverError {
  constructor(
    readonly member: string,
    /** The removing entry's index when known, else a configuration index that excludes the member. */
    readonly index: number,
    /** Who removed it or told it ("leader n1", "peer n2"). */
    readonly by: string,
    readonly how: 'applied' | 'refused',
  ) {
    super(`${member} was removed from the cluster at configuration index ${index} by ${by}`);
  }
}
