/**
 * Named errors of the benchmark harness. Each names what failed; the underlying
 * error (a child process exit, a gRPC status, a file system error) is the `cause`.
 * Bugs in the harness itself are assertions (node:assert), never these.
 */

/** Base class: `name` is the subclass name, so logs show which step failed. */
export class BenchError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A Debian package could not be installed (apt-get failed, or not root). */
export class PackageInstallError extends BenchError {}

/** etcd could not be found, installed, or its .proto files loaded. */
export class EtcdInstallError extends PackageInstallError {}

/** Network isolation (nftables) could not be set up, applied or removed. */
export class IsolationError extends BenchError {}

/** A member or the whole etcd cluster could not be started, stopped or reached. */
export class EtcdClusterError extends BenchError {}

/** An etcd RPC failed in a way another endpoint cannot fix, or every endpoint failed. */
export class EtcdRequestError extends BenchError {
  constructor(
    message: string,
    /** gRPC status code of the last failed attempt, when there was one. */
    readonly code: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A bounded wait ran out before its condition held. */
export class WaitTimeoutError extends BenchError {
  constructor(
    readonly what: string,
    readonly timeoutMs: number,
    options?: { cause?: unknown },
  ) {
    super(`timed out after ${timeoutMs} ms waiting for ${what}`, options);
  }
}

/** Priming a system before a load bench failed: some of its ops failed. */
export class PrimeError extends BenchError {}
