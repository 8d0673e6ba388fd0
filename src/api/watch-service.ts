/**
 * The Watch gRPC service: a server stream of the changes made at each
 * revision, from a starting revision, filtered by kind and key prefix.
 *
 * Served from THIS replica's applied state (the state machine's watch hub),
 * whether it leads or follows: a follower may trail the leader by a few
 * entries, but every replica applies the same revisions in the same order, so
 * a stream never skips or repeats a revision, and a client can resume on any
 * replica from the last `next_revision` it received.
 *
 * Bounds: the watcher's buffer (the state machine's watchBufferEventsMax /
 * watchBufferBytesMax) plus the stream's own write buffer (16 responses, as
 * the pump waits for 'drain' before taking the next batch). A client that
 * reads too slowly lets the watcher's buffer overflow; the stream then ends
 * with ABORTED after everything already taken was sent, and the trailer
 * x-edgernetes-resume-revision (also in the message) says where to resume.
 */
import type { ServerWritableStream } from '@grpc/grpc-js';
import { CompactedError, WatchCancelledError, WatchOverflowError, type Watcher } from '../fsm/index.js';
import type { WatchRequest, WatchResponse, WatchServer } from '../gen/edgernetes/api/v1/watch.js';
import { batchResponses, createdResponse, watchOptions } from './convert-watch.js';
import type { ReplicaApi } from './replica-api.js';
import { header } from './responses.js';
import { toServiceError } from './status.js';

/** Trailer of an ABORTED watch: the revision to pass as from_revision to continue. */
export const RESUME_REVISION_TRAILER = 'x-edgernetes-resume-revision';
/** Trailer of an OUT_OF_RANGE watch: the oldest revision this replica's change log still holds. */
export const OLDEST_REVISION_TRAILER = 'x-edgernetes-oldest-revision';

type WatchCall = ServerWritableStream<WatchRequest, WatchResponse>;

export function watchService(replica: ReplicaApi): WatchServer {
  return {
    watch(call: WatchCall): void {
      // serve() settles only after handling every error itself; the catch is for bugs in that handling.
      serve(replica, call).catch((err: unknown) => endWithError(call, err));
    },
  };
}

async function serve(replica: ReplicaApi, call: WatchCall): Promise<void> {
  let watcher: Watcher;
  try {
    watcher = replica.watch(watchOptions(call.request));
  } catch (err) {
    endWithError(call, err);
    return;
  }
  const cancel = () => watcher.cancel();
  call.on('cancelled', cancel);
  const headerAt = (revision: number) => header(replica, revision);
  try {
    if (!(await send(call, createdResponse(headerAt, watcher.resumeRevision)))) return;
    for (;;) {
      const next = await watcher.next();
      if (next.done) {
        // The watcher was cancelled: by the client's cancel (nothing to send) or without an error.
        if (!call.cancelled) call.end();
        return;
      }
      for (const response of batchResponses(headerAt, next.value)) {
        if (!(await send(call, response))) return;
      }
    }
  } catch (err) {
    endWithError(call, err);
  } finally {
    call.off('cancelled', cancel);
    watcher.cancel();
  }
}

/**
 * Writes one response; when the stream's buffer is full, waits until it
 * drains. Resolves false when the call was cancelled (nothing more to send).
 */
function send(call: WatchCall, response: WatchResponse): Promise<boolean> {
  if (call.cancelled) return Promise.resolve(false);
  if (call.write(response)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const settle = () => {
      call.off('drain', settle);
      call.off('cancelled', settle);
      call.off('close', settle);
      resolve(!call.cancelled && !call.destroyed);
    };
    call.on('drain', settle);
    call.on('cancelled', settle);
    call.on('close', settle);
  });
}

/** Ends the stream with the status of `err` (after the responses already written), with resume trailers. */
function endWithError(call: WatchCall, err: unknown): void {
  if (call.cancelled || call.writableEnded) return;
  const status = toServiceError(err);
  if (err instanceof WatchOverflowError || err instanceof WatchCancelledError) {
    status.metadata!.set(RESUME_REVISION_TRAILER, String(err.resumeRevision));
  } else if (err instanceof CompactedError) {
    status.metadata!.set(OLDEST_REVISION_TRAILER, String(err.oldestRevision));
  }
  call.emit('error', status);
}
