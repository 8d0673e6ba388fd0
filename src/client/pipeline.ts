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
 * - at most `inFlightMax` requests are sent and unanswered at once (as many
 *   as the server serves per stream); more wait for room in arrival order, at
 *   most `waitingMax` of them (RESOURCE_EXHAUSTED beyond, nothing sent), each
 *   still failing by its own deadline.
 */
import { Metadata, status as Code, type ClientDuplexStream } from '@grpc/grpc-js';
import type { PipelineClient, PipelineRequest, PipelineResponse } from '../gen/edgernetes/api/v1/pipeline.js';

export type PipelineOp = NonNullable<PipelineRequest['op']>;
export type PipelineResult = NonNullable<PipelineResponse['result']>;

/** Requests sent and unanswered on one stream: the server's own bound (PIPELINE_IN_FLIGHT_MAX_DEFAULT). */
export const PIPELINE_CLIENT_IN_FLIGHT_MAX_DEFAULT = 1024;
/** Requests waiting for room among those in flight; beyond it a request fails at once. */
export const PIPELINE_CLIENT_WAITING_MAX_DEFAULT = 16_384;

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

export interface PipelineBounds {
  readonly inFlightMax: number;
  readonly waitingMax: number;
}

interface Waiting {
  readonly op: PipelineOp;
  readonly deadlineMs: number;
  readonly resolve: (result: PipelineResult) => void;
  readonly reject: (err: PipelineCallError) => void;
}

export class PipelineConnection {
  private stream: OpenStream | null = null;
  private nextId = 1;
  private inFlight = 0;
  private closed = false;
  /** Requests waiting for room among those in flight, oldest first. */
  private waiting: Waiting[] = [];

  /** `streamMetadata` is sent when each stream opens (e.g. the forwarding replica's id). */
  constructor(
    private readonly client: PipelineClient,
    readonly endpoint: string,
    private readonly bounds: PipelineBounds = { inFlightMax: PIPELINE_CLIENT_IN_FLIGHT_MAX_DEFAULT, waitingMax: PIPELINE_CLIENT_WAITING_MAX_DEFAULT },
    private readonly streamMetadata: Metadata | null = null,
  ) {}

  /** Sends `op` (once there is room); settles with its result or a PipelineCallError by `deadlineMs` (epoch ms). */
  request(op: PipelineOp, deadlineMs: number): Promise<PipelineResult> {
    if (this.closed) return Promise.reject(new PipelineCallError(Code.CANCELLED, 'the client was closed'));
    if (this.inFlight < this.bounds.inFlightMax && this.waiting.length === 0) return this.send(op, deadlineMs);
    if (this.waiting.length >= this.bounds.waitingMax) {
      const message = `${this.bounds.inFlightMax} requests in flight to ${this.endpoint} and ${this.bounds.waitingMax} waiting; wait for answers`;
      return Promise.reject(new PipelineCallError(Code.RESOURCE_EXHAUSTED, message));
    }
    return new Promise<PipelineResult>((resolve, reject) => this.waiting.push({ op, deadlineMs, resolve, reject }));
  }

  /** Sends waiting requests while there is room; one whose deadline passed while waiting fails instead. */
  private admit(): void {
    while (this.waiting.length > 0 && this.inFlight < this.bounds.inFlightMax && !this.closed) {
      const next = this.waiting.shift()!;
      if (next.deadlineMs <= Date.now()) {
        next.reject(new PipelineCallError(Code.DEADLINE_EXCEEDED, `no room among the requests in flight to ${this.endpoint} before the deadline`));
        continue;
      }
      this.send(next.op, next.deadlineMs).then(next.resolve, next.reject);
    }
  }

  private send(op: PipelineOp, deadlineMs: number): Promise<PipelineResult> {
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

  /** Fails what is in flight or waiting (CANCELLED) and refuses further requests. */
  close(): void {
    this.closed = true;
    const waiting = this.waiting;
    this.waiting = [];
    for (const w of waiting) w.reject(new PipelineCallError(Code.CANCELLED, 'the client was closed'));
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
    if (this.waiting.length > 0) queueMicrotask(() => this.admit());
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
