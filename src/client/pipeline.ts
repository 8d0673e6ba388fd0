/**
 * The client end of the Pipeline service (proto/edgernetes/api/v1/pipeline.proto)
 * for one endpoint: requests become messages on one long-lived stream and are
 * matched to their answers by id.
 *
 * Failure model, so EndpointSet's failover treats a pipelined request like a
 * unary call:
 * - the stream breaks or the server ends it: every request sent on it fails
 *   UNAVAILABLE (the exactly-once header makes a retry elsewhere safe); the
 *   next request opens a new stream;
 * - a request's own deadline passes: it fails DEADLINE_EXCEEDED. If the
 *   stream stayed silent for that whole time (nothing at all received since
 *   the request was sent), the stream is presumed dead (a paused or cut-off
 *   server) and is cancelled, so later requests do not queue behind it;
 * - at most `inFlightMax` requests wait at once (RESOURCE_EXHAUSTED beyond,
 *   nothing sent).
 */
import { Metadata, status as Code, type ClientDuplexStream } from '@grpc/grpc-js';
import type { PipelineClient, PipelineRequest, PipelineResponse } from '../gen/edgernetes/api/v1/pipeline.js';

export type PipelineOp = NonNullable<PipelineRequest['op']>;
export type PipelineResult = NonNullable<PipelineResponse['result']>;

export const PIPELINE_CLIENT_IN_FLIGHT_MAX_DEFAULT = 4096;

/** How a pipelined request failed, shaped like grpc-js's ServiceError (code, details, metadata). */
export class PipelineCallError extends Error {
  readonly metadata = new Metadata();

  constructor(
    readonly code: Code,
    readonly details: string,
  ) {
    super(`${code} ${Code[code] ?? ''}: ${details}`);
    this.name = 'PipelineCallError';
  }
}

interface Pending {
  readonly resolve: (result: PipelineResult) => void;
  readonly reject: (err: PipelineCallError) => void;
  readonly timer: NodeJS.Timeout;
}

/** One open stream and the requests sent on it. */
class OpenStream {
  readonly pending = new Map<number, Pending>();
  /** performance.now() of the last message received; -Infinity before the first. */
  lastReceivedMs = -Infinity;
  failed = false;

  constructor(readonly call: ClientDuplexStream<PipelineRequest, PipelineResponse>) {}
}

export class PipelineConnection {
  private stream: OpenStream | null = null;
  private nextId = 1;
  private inFlight = 0;
  private closed = false;

  /** `streamMetadata` is sent when each stream opens (e.g. the forwarding replica's id). */
  constructor(
    private readonly client: PipelineClient,
    readonly endpoint: string,
    private readonly inFlightMax = PIPELINE_CLIENT_IN_FLIGHT_MAX_DEFAULT,
    private readonly streamMetadata: Metadata | null = null,
  ) {}

  /** Sends `op`; settles with its result or a PipelineCallError by `deadlineMs` (epoch ms). */
  request(op: PipelineOp, deadlineMs: number): Promise<PipelineResult> {
    if (this.closed) return Promise.reject(new PipelineCallError(Code.CANCELLED, 'the client was closed'));
    if (this.inFlight >= this.inFlightMax) {
      const message = `more than ${this.inFlightMax} requests in flight to ${this.endpoint}; wait for answers`;
      return Promise.reject(new PipelineCallError(Code.RESOURCE_EXHAUSTED, message));
    }
    const stream = this.stream ?? this.open();
    const id = this.nextId++;
    const timeoutMs = Math.max(1, Math.ceil(deadlineMs - Date.now()));
    const sentMs = performance.now();
    return new Promise<PipelineResult>((resolve, reject) => {
      const timer = setTimeout(() => this.expire(stream, id, sentMs, timeoutMs), timeoutMs);
      stream.pending.set(id, { resolve, reject, timer });
      this.inFlight += 1;
      stream.call.write({ id, timeoutMs, op });
    });
  }

  /** Fails what is in flight (CANCELLED) and refuses further requests. */
  close(): void {
    this.closed = true;
    const stream = this.stream;
    if (stream === null) return;
    this.fail(stream, new PipelineCallError(Code.CANCELLED, 'the client was closed'));
    stream.call.cancel();
  }

  private open(): OpenStream {
    const stream = new OpenStream(this.streamMetadata === null ? this.client.run() : this.client.run(this.streamMetadata));
    stream.call.on('data', (response: PipelineResponse) => this.answered(stream, response));
    stream.call.on('error', (err: Error & { code?: number; details?: string }) => {
      const code = typeof err.code === 'number' && err.code !== Code.OK ? err.code : Code.UNAVAILABLE;
      this.fail(stream, new PipelineCallError(code, `pipeline stream to ${this.endpoint} failed: ${err.details ?? err.message}`));
    });
    stream.call.on('end', () => this.fail(stream, new PipelineCallError(Code.UNAVAILABLE, `pipeline stream to ${this.endpoint} ended`)));
    this.stream = stream;
    return stream;
  }

  private answered(stream: OpenStream, response: PipelineResponse): void {
    stream.lastReceivedMs = performance.now();
    const pending = this.take(stream, response.id);
    if (pending === undefined) return; // expired already: its caller has its error
    if (response.error !== undefined) {
      pending.reject(new PipelineCallError(response.error.code, response.error.message));
    } else if (response.result === undefined) {
      pending.reject(new PipelineCallError(Code.INTERNAL, `answer ${response.id} from ${this.endpoint} carries neither a result nor an error`));
    } else {
      pending.resolve(response.result);
    }
  }

  private expire(stream: OpenStream, id: number, sentMs: number, timeoutMs: number): void {
    const pending = this.take(stream, id);
    if (pending === undefined) return;
    pending.reject(new PipelineCallError(Code.DEADLINE_EXCEEDED, `no answer from ${this.endpoint} within ${timeoutMs} ms`));
    if (stream.lastReceivedMs < sentMs) {
      this.fail(stream, new PipelineCallError(Code.UNAVAILABLE, `pipeline stream to ${this.endpoint} silent for ${timeoutMs} ms; reopening`));
      stream.call.cancel();
    }
  }

  private take(stream: OpenStream, id: number): Pending | undefined {
    const pending = stream.pending.get(id);
    if (pending === undefined) return undefined;
    stream.pending.delete(id);
    clearTimeout(pending.timer);
    this.inFlight -= 1;
    return pending;
  }

  /** Fails every request still waiting on `stream`; the next request opens a new stream. */
  private fail(stream: OpenStream, err: PipelineCallError): void {
    if (stream.failed) return;
    stream.failed = true;
    if (this.stream === stream) this.stream = null;
    for (const id of [...stream.pending.keys()]) this.take(stream, id)!.reject(err);
  }
}
