/**
 * Turning gRPC unary calls into async functions with a deadline, and errors
 * into status codes (only here). A handler gets a CallContext with the
 * deadline it must answer within: the server answers UNAVAILABLE a little
 * before the client's own deadline, so callers see a status, never a hang.
 */
import { Metadata, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import { toServiceError } from './status.js';

/** Requests forwarded by a follower to the leader carry this header (one hop at most). */
export const FORWARDED_HEADER = 'x-edgernetes-forwarded-by';

/** Answer this long before the caller's deadline, leaving time for the answer to travel. */
const DEADLINE_MARGIN_MS = 25;

export interface CallContext {
  /** Epoch ms by which the handler must have answered. */
  readonly deadlineMs: number;
  /** The caller's own deadline (epoch ms), to pass on when forwarding. */
  readonly callerDeadlineMs: number;
  /** Id of the replica that forwarded this call, or null. */
  readonly forwardedBy: string | null;
  readonly metadata: Metadata;
}

export interface CallDefaults {
  /** Used when the caller set no deadline. */
  readonly requestTimeoutMs: number;
}

export function callContext<Req>(call: ServerUnaryCall<Req, unknown>, defaults: CallDefaults): CallContext {
  const nowMs = Date.now();
  const given = call.getDeadline();
  const callerDeadlineMs =
    given instanceof Date ? given.getTime() : Number.isFinite(given) && given > 0 ? Number(given) : nowMs + defaults.requestTimeoutMs;
  return contextWithin(nowMs, callerDeadlineMs, defaults, forwardedByOf(call.metadata), call.metadata);
}

/** Pipelined requests carry no metadata; they all share this empty one (never written to). */
const NO_METADATA = new Metadata();

/**
 * The context of one request on a Pipeline stream: `timeoutMs` after now (0 =
 * the default); `forwardedBy` from the stream's own metadata.
 */
export function requestContext(timeoutMs: number, defaults: CallDefaults, forwardedBy: string | null): CallContext {
  const nowMs = Date.now();
  const callerDeadlineMs = nowMs + (timeoutMs > 0 ? timeoutMs : defaults.requestTimeoutMs);
  return contextWithin(nowMs, callerDeadlineMs, defaults, forwardedBy, NO_METADATA);
}

/** The replica that forwarded a call (FORWARDED_HEADER), or null. */
export function forwardedByOf(metadata: Metadata): string | null {
  const forwarded = metadata.get(FORWARDED_HEADER)[0];
  return typeof forwarded === 'string' ? forwarded : null;
}

function contextWithin(nowMs: number, callerDeadlineMs: number, defaults: CallDefaults, forwardedBy: string | null, metadata: Metadata): CallContext {
  const bounded = Math.min(callerDeadlineMs, nowMs + defaults.requestTimeoutMs);
  return { deadlineMs: Math.max(nowMs, bounded - DEADLINE_MARGIN_MS), callerDeadlineMs, forwardedBy, metadata };
}

export type UnaryHandler<Req, Res> = (request: Req, context: CallContext) => Promise<Res>;

/** Adapts an async handler to grpc-js; any thrown error becomes a status via toServiceError. */
export function unary<Req, Res>(defaults: CallDefaults, handler: UnaryHandler<Req, Res>) {
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void => {
    let context: CallContext;
    try {
      context = callContext(call, defaults);
    } catch (err) {
      callback(toServiceError(err));
      return;
    }
    // Through a promise, so a handler that throws before its first await still maps to a status.
    Promise.resolve()
      .then(() => handler(call.request, context))
      .then(
      (response) => callback(null, response),
      (err: unknown) => callback(toServiceError(err)),
    );
  };
}
