/**
 * Watch: request → WatchOptions, and the state machine's event batches →
 * bounded WatchResponse messages.
 */
import { ValidationError, type KvEntry, type WatchBatch, type WatchEvent, type WatchKind, type WatchOptions } from '../fsm/index.js';
import { eventSizeBytes } from '../fsm/events.js';
import type { KeyValue } from '../gen/edgernetes/api/v1/kv.js';
import {
  EventType,
  WatchKind as ProtoWatchKind,
  type WatchEvent as ProtoWatchEvent,
  type WatchRequest,
  type WatchResponse,
} from '../gen/edgernetes/api/v1/watch.js';
import type { ResponseHeader } from '../gen/edgernetes/api/v1/common.js';
import { toAssignment } from './convert-assignments.js';
import { enumMap } from './convert-enums.js';
import { toModel } from './convert-models.js';
import { toNode } from './convert-nodes.js';

/**
 * Target size of one response (estimated as the state machine does for its
 * buffers). A response holds whole revisions only, so one revision larger than
 * this still travels alone; a revision is bounded by the largest command
 * (~1.1 MiB of kv value) or a bounded cascade, well under gRPC's default
 * 4 MiB receive limit.
 */
export const RESPONSE_BYTES_TARGET = 1024 * 1024;

export const watchKinds = enumMap<ProtoWatchKind, WatchKind>(ProtoWatchKind, {
  node: ProtoWatchKind.WATCH_KIND_NODE,
  model: ProtoWatchKind.WATCH_KIND_MODEL,
  assignment: ProtoWatchKind.WATCH_KIND_ASSIGNMENT,
  kv: ProtoWatchKind.WATCH_KIND_KV,
  member: ProtoWatchKind.WATCH_KIND_MEMBER,
});

/** The watcher's options; the state machine validates them again (fromRevision, keyPrefix bounds). */
export function watchOptions(request: WatchRequest): WatchOptions {
  const kinds = request.kinds.map((k, i) => {
    const kind = watchKinds.toFsm(k, `kinds[${i}]`);
    if (kind === undefined) throw new ValidationError(`kinds[${i}]`, 'must name a kind (WATCH_KIND_UNSPECIFIED is not one)');
    return kind;
  });
  return {
    fromRevision: request.fromRevision,
    ...(kinds.length > 0 ? { kinds } : {}),
    keyPrefix: request.keyPrefix,
  };
}

export function toKeyValue(e: KvEntry): KeyValue {
  return {
    namespace: e.namespace,
    key: e.key,
    value: Buffer.from(e.value.buffer, e.value.byteOffset, e.value.byteLength),
    createRevision: e.createRevision,
    modRevision: e.modRevision,
    version: e.version,
  };
}

function objectOf(e: WatchEvent): ProtoWatchEvent['object'] {
  if (e.type === 'delete') return undefined;
  switch (e.kind) {
    case 'node':
      return { $case: 'node', value: toNode(e.value) };
    case 'model':
      return { $case: 'model', value: toModel(e.value) };
    case 'assignment':
      return { $case: 'assignment', value: toAssignment(e.value) };
    case 'kv':
      return { $case: 'kv', value: toKeyValue(e.value) };
    case 'member':
      return { $case: 'member', value: { id: e.value.id, address: e.value.address, learner: e.value.role === 'learner' } };
  }
}

export function toWatchEvent(e: WatchEvent): ProtoWatchEvent {
  return {
    revision: e.revision,
    kind: watchKinds.toProto(e.kind),
    type: e.type === 'put' ? EventType.EVENT_TYPE_PUT : EventType.EVENT_TYPE_DELETE,
    key: e.key,
    object: objectOf(e),
  };
}

/** The first response of a stream: no events; the watch delivers from `nextRevision` on. */
export function createdResponse(header: (revision: number) => ResponseHeader, nextRevision: number): WatchResponse {
  return { header: header(nextRevision - 1), created: true, events: [], nextRevision };
}

/**
 * Splits a batch into responses of whole revisions, each about
 * RESPONSE_BYTES_TARGET at most. `nextRevision` of each response is the first
 * revision the following ones carry (revisions in between had no matching
 * event); the last one's is batch.revision + 1.
 */
export function batchResponses(header: (revision: number) => ResponseHeader, batch: WatchBatch): WatchResponse[] {
  const responses: WatchResponse[] = [];
  let events: WatchEvent[] = [];
  let bytes = 0;
  const flush = (nextRevision: number) => {
    responses.push({ header: header(nextRevision - 1), created: false, events: events.map(toWatchEvent), nextRevision });
    events = [];
    bytes = 0;
  };
  for (let i = 0; i < batch.events.length; ) {
    const revision = batch.events[i]!.revision;
    let end = i;
    let revisionBytes = 0;
    for (; end < batch.events.length && batch.events[end]!.revision === revision; end++) {
      revisionBytes += eventSizeBytes(batch.events[end]!);
    }
    if (events.length > 0 && bytes + revisionBytes > RESPONSE_BYTES_TARGET) flush(revision);
    events.push(...batch.events.slice(i, end));
    bytes += revisionBytes;
    i = end;
  }
  flush(batch.revision + 1);
  return responses;
}
