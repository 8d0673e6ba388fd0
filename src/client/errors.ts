/** Errors the client library reports, carrying the gRPC status they came from. */
import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';

export class ClientError extends Error {
  constructor(
    message: string,
    readonly code: GrpcStatus,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** No endpoint answered within the deadline (all down, or no quorum anywhere). */
export class ClusterUnavailableError extends ClientError {
  constructor(
    readonly endpoints: readonly string[],
    readonly attempts: number,
    cause: unknown,
  ) {
    super(
      `cluster unavailable: no endpoint of [${endpoints.join(', ')}] answered after ${attempts} attempt(s): ${
        (cause as Error)?.message ?? String(cause)
      }`,
      (cause as ServiceError)?.code ?? GrpcStatus.UNAVAILABLE,
      { cause },
    );
  }
}

/** The server refused the request (bad argument, not found, precondition, ...). */
export class RequestError extends ClientError {}

/** Status codes that mean "this endpoint cannot serve now; another may". */
export function isRetryableOnAnotherEndpoint(code: GrpcStatus): boolean {
  return code === GrpcStatus.UNAVAILABLE || code === GrpcStatus.DEADLINE_EXCEEDED || code === GrpcStatus.CANCELLED;
}
