/**
 * The Pipeline service (proto/edgernetes/api/v1/pipeline.proto): the KV calls
 * as messages on one long-lived stream, answered by id in any order. Each
 * request runs through the same handler as its unary twin (kv-service.ts),
 * with its own deadline, and fails with the same status code and message.
 *
 * Bounds: at most `inFlightMax` requests of one stream are served at once;
 * one more is answered at once with RESOURCE_EXHAUSTED and not served. So a
 * stream holds at most that many handlers and unsent answers.
 */
import { status as Code, type ServerDuplexStream } from '@grpc/grpc-js';
import type { PipelineRequest, PipelineResponse, PipelineServer } from '../gen/edgernetes/api/v1/pipeline.js';
import { forwardedByOf, requestContext, type CallContext, type CallDefaults } from './call.js';
import type { KvHandlers } from './kv-service.js';
import { invalidArgument, toServiceError } from './status.js';
import { UndecodableRequest } from './undecodable.js';

export const PIPELINE_IN_FLIGHT_MAX_DEFAULT = 1024;

export interface PipelineLimits {
  /** Requests of one stream served at once. */
  readonly inFlightMax: number;
}

type Result = NonNullable<PipelineResponse['result']>;

/**
 * The open streams of one server, so a stopping replica can end them: a
 * stream never ends on its own while its client lives, and gRPC's graceful
 * shutdown waits for every open call.
 */
export class PipelineStreams {
  private readonly ending = new Set<() => void>();
  private stopping = false;

  /**
   * Refuses new requests (UNAVAILABLE: the client retries them on another
   * replica), and ends each stream once the requests it is serving are
   * answered. Streams opened later are ended at once.
   */
  endAll(): void {
    this.stopping = true;
    for (const end of this.ending) end();
  }

  /** @internal registers a stream's end function; returns its unregister function. */
  add(end: () => void): () => void {
    if (this.stopping) queueMicrotask(end);
    this.ending.add(end);
    return () => this.ending.delete(end);
  }
}

export function pipelineService(
  kv: KvHandlers,
  defaults: CallDefaults,
  streams: PipelineStreams,
  limits: PipelineLimits = { inFlightMax: PIPELINE_IN_FLIGHT_MAX_DEFAULT },
): PipelineServer {
  return { run: (call) => runStream(call, kv, defaults, streams, limits.inFlightMax) };
}

function runStream(
  call: ServerDuplexStream<PipelineRequest, PipelineResponse>,
  kv: KvHandlers,
  defaults: CallDefaults,
  streams: PipelineStreams,
  inFlightMax: number,
): void {
  const forwardedBy = forwardedByOf(call.metadata);
  let inFlight = 0;
  let requestsEnded = false;
  let stopping = false;
  let closed = false;
  const answer = (response: PipelineResponse): void => {
    if (!closed) call.write(response);
  };
  const endIfDone = (): void => {
    if ((requestsEnded || stopping) && inFlight === 0 && !closed) {
      closed = true;
      unregister();
      call.end();
    }
  };
  const unregister = streams.add(() => {
    stopping = true;
    endIfDone();
  });
  // Nothing more can be sent: the client went away (cancel, broken connection), or the stream failed.
  const gone = (): void => {
    closed = true;
    unregister();
  };
  call.on('data', (request: PipelineRequest | UndecodableRequest) => {
    if (request instanceof UndecodableRequest) {
      // No id to answer by: the stream ends with the status, as a broken client needs to hear.
      if (!closed) {
        gone();
        call.emit('error', toServiceError(request.error()));
      }
      return;
    }
    if (stopping) {
      answer({ id: request.id, error: { code: Code.UNAVAILABLE, message: 'this replica is stopping; retry on another' } });
      return;
    }
    if (inFlight >= inFlightMax) {
      const message = `more than ${inFlightMax} requests in flight on one pipeline stream; wait for answers or open another stream`;
      answer({ id: request.id, error: { code: Code.RESOURCE_EXHAUSTED, message } });
      return;
    }
    inFlight += 1;
    serve(kv, request, defaults, forwardedBy)
      .then(answer)
      .finally(() => {
        inFlight -= 1;
        endIfDone();
      });
  });
  call.on('end', () => {
    requestsEnded = true;
    endIfDone();
  });
  call.on('cancelled', gone);
  call.on('error', gone);
}

/** Runs one request; never rejects (a failure is an answer with `error`). */
async function serve(kv: KvHandlers, request: PipelineRequest, defaults: CallDefaults, forwardedBy: string | null): Promise<PipelineResponse> {
  const id = request.id;
  try {
    const context = requestContext(request.timeoutMs, defaults, forwardedBy);
    return { id, result: await dispatch(kv, request, context) };
  } catch (err) {
    const status = toServiceError(err);
    return { id, error: { code: status.code ?? Code.INTERNAL, message: status.details ?? 'unknown error' } };
  }
}

async function dispatch(kv: KvHandlers, request: PipelineRequest, context: CallContext): Promise<Result> {
  const op = request.op;
  switch (op?.$case) {
    case 'put':
      return { $case: 'put', value: await kv.put(op.value, context) };
    case 'get':
      return { $case: 'get', value: await kv.get(op.value, context) };
    case 'range':
      return { $case: 'range', value: await kv.range(op.value, context) };
    case 'delete':
      return { $case: 'delete', value: await kv.delete(op.value, context) };
    case 'compareAndSwap':
      return { $case: 'compareAndSwap', value: await kv.compareAndSwap(op.value, context) };
    case undefined:
      throw invalidArgument('op', 'one of put, get, range, delete, compare_and_swap is required');
  }
}
