/**
 * The client-facing side of a replica's removal from the cluster. Once the
 * replica knows it was removed (src/raft/node/removal.ts):
 *  - every call it gets fails with FAILED_PRECONDITION naming the removal
 *    (nothing was done; retrying here can never succeed: use the remaining
 *    members);
 *  - a read that was in flight fails the same way (a read has no effect);
 *  - a write or membership change that was in flight and fails while the
 *    replica stops ends UNAVAILABLE, naming the removal: its outcome is
 *    unknown (a removed leader's last proposals may still be committed by the
 *    next leader), and FAILED_PRECONDITION would tell the client it certainly
 *    did not happen. The client retries it on another member with the same
 *    client id and sequence, so it is applied at most once.
 */
import * as grpc from '@grpc/grpc-js';
import { ApiError } from '../api/status.js';
import type { RemovedFromClusterError } from '../raft/node/errors.js';

export class RemovalGate {
  private removal: RemovedFromClusterError | null = null;
  private settleClosed: (removal: RemovedFromClusterError) => void = () => undefined;
  /** Resolves when the gate closes; never settles otherwise. */
  readonly whenClosed = new Promise<RemovedFromClusterError>((resolve) => (this.settleClosed = resolve));

  get closed(): boolean {
    return this.removal !== null;
  }

  /** Close the gate (once; later calls keep the first removal). */
  close(removal: RemovedFromClusterError): void {
    if (this.removal !== null) return;
    this.removal = removal;
    this.settleClosed(removal);
  }

  /** Throws FAILED_PRECONDITION naming the removal once the gate is closed. */
  check(): void {
    if (this.removal !== null) throw removedApiError(this.removal);
  }

  /** A call without effects: if it fails once the gate is closed, it fails as removed. */
  async guardRead<T>(call: () => Promise<T>): Promise<T> {
    this.check();
    try {
      return await call();
    } catch (err) {
      this.check();
      throw err;
    }
  }

  /** A call with effects: if it fails once the gate is closed, its outcome is unknown (UNAVAILABLE). */
  async guardWrite<T>(call: () => Promise<T>): Promise<T> {
    this.check();
    try {
      return await call();
    } catch (err) {
      if (this.removal !== null) throw interruptedApiError(this.removal);
      throw err;
    }
  }
}

export function removedApiError(removal: RemovedFromClusterError): ApiError {
  return new ApiError(grpc.status.FAILED_PRECONDITION, `${removal.message}; it no longer serves requests: use the remaining members`);
}

function interruptedApiError(removal: RemovedFromClusterError): ApiError {
  return new ApiError(
    grpc.status.UNAVAILABLE,
    `${removal.message} while this request was in flight; its outcome is unknown: retry it on a remaining member`,
  );
}
