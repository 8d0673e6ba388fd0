/**
 * Requests whose bytes are not the protobuf message their method takes.
 *
 * grpc-js answers a request its deserializer throws on with INTERNAL "Error
 * deserializing request": a server fault, naming nothing. Every service is
 * registered instead through `register`, whose deserializers never throw: they
 * hand the handler an UndecodableRequest, which unary and server-streaming
 * calls answer here with INVALID_ARGUMENT naming the method and the decoder's
 * reason. A client-streaming handler gets it among its messages and must check
 * (`undecodableError`); Pipeline ends its stream with that status.
 */
import { status as Code, type MethodDefinition, type Server, type ServiceDefinition, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { ApiError, toServiceError } from './status.js';

export class UndecodableRequest {
  constructor(
    /** The method's path, e.g. /edgernetes.api.v1.Nodes/Register. */
    readonly path: string,
    /** The decoder's reason, e.g. "invalid wire type 7 at offset 3". */
    readonly reason: string,
  ) {}

  error(): ApiError {
    return new ApiError(Code.INVALID_ARGUMENT, `${this.path}: the request is not a valid protobuf message for this method (${this.reason})`);
  }
}

/** The INVALID_ARGUMENT error for a message that could not be decoded, or null for a decoded one. */
export function undecodableError(message: unknown): ApiError | null {
  return message instanceof UndecodableRequest ? message.error() : null;
}

/** Adds `implementation` to `server` with deserializers that never throw (see the file comment). */
export function register<I extends UntypedServiceImplementation>(server: Server, definition: ServiceDefinition, implementation: I): void {
  const tolerant: Record<string, MethodDefinition<unknown, unknown>> = {};
  const guarded: UntypedServiceImplementation = {};
  for (const [name, method] of Object.entries(definition) as [string, MethodDefinition<unknown, unknown>][]) {
    tolerant[name] = { ...method, requestDeserialize: (bytes: Buffer) => decodeOrMark(method, bytes) };
    const handler = implementation[name];
    if (handler !== undefined) guarded[name] = guard(method, handler); // a missing one stays UNIMPLEMENTED
  }
  server.addService(tolerant, guarded);
}

function decodeOrMark(method: MethodDefinition<unknown, unknown>, bytes: Buffer): unknown {
  try {
    return method.requestDeserialize(bytes);
  } catch (err) {
    return new UndecodableRequest(method.path, err instanceof Error ? err.message : String(err));
  }
}

type Handler = UntypedServiceImplementation[string];

function guard(method: MethodDefinition<unknown, unknown>, handler: Handler): Handler {
  if (method.requestStream) return handler; // its messages arrive later: the handler checks them
  if (!method.responseStream) {
    return ((call: { request: unknown }, callback: (err: unknown) => void) => {
      const error = undecodableError(call.request);
      if (error !== null) callback(toServiceError(error));
      else (handler as (call: unknown, callback: unknown) => void)(call, callback);
    }) as Handler;
  }
  return ((call: { request: unknown; emit(event: 'error', status: unknown): boolean }) => {
    const error = undecodableError(call.request);
    if (error !== null) call.emit('error', toServiceError(error));
    else (handler as (call: unknown) => void)(call);
  }) as Handler;
}
