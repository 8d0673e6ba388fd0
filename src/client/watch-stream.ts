/**
 * A resumable watch over a set of endpoints.
 *
 * Iterating yields the server's responses in order: on each (re)connection
 * first one with `created` set, then responses with events. When a stream
 * ends with ABORTED (this client read too slowly, or the replica stopped),
 * UNAVAILABLE, CANCELLED or DEADLINE_EXCEEDED, it is reopened — on the next
 * endpoint unless it was ABORTED by an overflow — from the revision every
 * earlier event was delivered up to, so no event is lost or repeated.
 * A compacted starting revision ends the iteration with WatchCompactedError;
 * other refusals with RequestError; too many reconnections in a row without
 * a response with ClusterUnavailableError.
 *
 * Bounds: one stream at a time; gRPC's per-stream buffer (16 responses) and
 * flow control hold back the server while the consumer does not pull.
 */
import { status as Code, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import {
  WatchClient,
  type WatchKind,
  type WatchResponse,
} from '../gen/edgernetes/api/v1/watch.js';
import type { EndpointSet } from './endpoints.js';
import { ClientError, ClusterUnavailableError, RequestError } from './errors.js';

/** Trailers the server sets (see src/api/watch-service.ts). */
const RESUME_REVISION_TRAILER = 'x-edgernetes-resume-revision';
const OLDEST_REVISION_TRAILER = 'x-edgernetes-oldest-revision';

export interface WatchRequestOptions {
  /** First revision to deliver; 0 or absent = changes after the watch starts. */
  readonly fromRevision?: number;
  /** Kinds to deliver; absent or empty = every kind. */
  readonly kinds?: readonly WatchKind[];
  readonly keyPrefix?: string;
}

export interface WatchStreamOptions {
  /** Reopen attempts in a row without receiving a response before giving up. */
  readonly reconnectsMax: number;
  /** Pause before a reopen: base, doubled per attempt in a row, capped. */
  readonly reconnectBackoffMsBase: number;
  readonly reconnectBackoffMsMax: number;
}

export const DEFAULT_WATCH_STREAM_OPTIONS: WatchStreamOptions = {
  reconnectsMax: 8,
  reconnectBackoffMsBase: 50,
  reconnectBackoffMsMax: 1_000,
};

/** The requested revision is older than the server's change log: List the current state, then watch from its revision + 1. */
export class WatchCompactedError extends ClientError {
  constructor(
    readonly requestedRevision: number,
    readonly oldestRevision: number,
    cause: ServiceError,
  ) {
    super(cause.details || cause.message, cause.code, { cause });
  }
}

const REOPEN_ON = new Set<Code>([Code.ABORTED, Code.UNAVAILABLE, Code.CANCELLED, Code.DEADLINE_EXCEEDED]);

export class WatchStream implements AsyncIterable<WatchResponse> {
  private next: number;
  private endpointIndex = 0;
  private call: ClientReadableStream<WatchResponse> | null = null;
  private cancelled = false;
  private iterating = false;
  private readonly options: WatchStreamOptions;

  constructor(
    private readonly endpointSet: EndpointSet,
    private readonly request: WatchRequestOptions,
    options: Partial<WatchStreamOptions> = {},
  ) {
    this.options = { ...DEFAULT_WATCH_STREAM_OPTIONS, ...options };
    this.next = request.fromRevision ?? 0;
  }

  /** The revision to resume from: every matching event before it was yielded (0 before the first response). */
  get nextRevision(): number {
    return this.next;
  }

  /** Ends the stream; a pending iteration step finishes as done. */
  cancel(): void {
    this.cancelled = true;
    this.call?.cancel();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<WatchResponse, void, undefined> {
    if (this.iterating) throw new Error('a WatchStream is iterated once');
    this.iterating = true;
    let failuresInRow = 0;
    let lastError: unknown = null;
    while (!this.cancelled) {
      if (failuresInRow > this.options.reconnectsMax) {
        throw new ClusterUnavailableError(this.endpointSet.endpoints, failuresInRow, lastError);
      }
      const endpoint = this.endpointSet.endpoints[this.endpointIndex % this.endpointSet.endpoints.length]!;
      const call = this.endpointSet.clientFor(WatchClient, endpoint).watch({
        fromRevision: this.next,
        kinds: [...(this.request.kinds ?? [])],
        keyPrefix: this.request.keyPrefix ?? '',
      });
      this.call = call;
      try {
        for await (const response of call as AsyncIterable<WatchResponse>) {
          failuresInRow = 0;
          this.next = Math.max(this.next, response.nextRevision);
          yield response;
        }
        return; // the server ended the stream cleanly: it has nothing more to send
      } catch (err) {
        if (this.cancelled) return;
        lastError = err;
        this.reopenAfter(err as ServiceError);
        failuresInRow += 1;
        await sleep(Math.min(this.options.reconnectBackoffMsMax, this.options.reconnectBackoffMsBase * 2 ** (failuresInRow - 1)));
      } finally {
        call.cancel();
        this.call = null;
      }
    }
  }

  /** Decides from a stream's final status whether (and where) to reopen; throws otherwise. */
  private reopenAfter(err: ServiceError): void {
    const trailer = (name: string) => Number(err.metadata?.get(name)[0] ?? NaN);
    if (err.code === Code.OUT_OF_RANGE && Number.isSafeInteger(trailer(OLDEST_REVISION_TRAILER))) {
      throw new WatchCompactedError(this.next, trailer(OLDEST_REVISION_TRAILER), err);
    }
    if (!REOPEN_ON.has(err.code)) throw new RequestError(err.details || err.message, err.code, { cause: err });
    const resume = trailer(RESUME_REVISION_TRAILER);
    if (Number.isSafeInteger(resume)) this.next = Math.max(this.next, resume);
    // An overflow is about this client's pace, not the replica: stay. Anything else: try the next one.
    if (err.code !== Code.ABORTED || !Number.isSafeInteger(resume)) this.endpointIndex += 1;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
