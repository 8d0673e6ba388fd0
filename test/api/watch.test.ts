// Goal: the Watch service streams every change from a starting revision —
// history first, then live — in revision order without gaps or repeats,
// filtered by kind and key prefix; a cancelled watch resumes exactly where it
// stopped; a compacted starting revision is refused with OUT_OF_RANGE (the
// client library: WatchCompactedError); a client too slow to read gets
// ABORTED with the revision to resume from; a watcher whose filter matches
// nothing still gets its resume point moved on (progress responses);
// stopping the replica ends its watches instead of hanging.
// Method: a real 1-replica cluster in process; kv writes through
// EdgernetesClient, watches through RegistryClient.watch (the resuming
// client) or a raw generated WatchClient where the test needs the wire.
import { credentials, status as Code, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EdgernetesClient } from '../../src/client/client.js';
import type { RegistryClient } from '../../src/client/registry.js';
import { WatchCompactedError, type WatchStream } from '../../src/client/watch-stream.js';
import {
  EventType,
  WatchClient,
  WatchKind,
  type WatchEvent,
  type WatchRequest,
  type WatchResponse,
} from '../../src/gen/edgernetes/api/v1/watch.js';
import type { Replica } from '../../src/server/replica.js';
import { WAIT_MS_MAX, clientOf, endpointOf, expectFailure, modelSpec, registration, startSingle, stopAll, waitFor } from './helpers.js';

/** Reads responses until `eventsWanted` events arrived (whole responses), then stops the stream. */
async function collect(stream: WatchStream, eventsWanted: number): Promise<WatchEvent[]> {
  const timer = setTimeout(() => stream.cancel(), WAIT_MS_MAX);
  const events: WatchEvent[] = [];
  try {
    for await (const response of stream) {
      events.push(...response.events);
      if (events.length >= eventsWanted) break;
    }
  } finally {
    clearTimeout(timer);
  }
  return events;
}

/** Revisions strictly increase across events of one kind-filtered kv stream (one event per revision). */
function expectContiguous(events: readonly WatchEvent[], first: number, count: number): void {
  expect(events.map((e) => e.revision)).toEqual(Array.from({ length: count }, (_, i) => first + i));
}

describe('Watch service', () => {
  let replica: Replica;
  let registry: RegistryClient;
  let kv: EdgernetesClient;
  const raws: WatchClient[] = [];

  beforeEach(async () => {
    replica = await startSingle();
    registry = clientOf(replica);
    kv = new EdgernetesClient({ endpoints: [endpointOf(replica)] });
  });
  afterEach(async () => {
    kv.close();
    for (const raw of raws.splice(0)) raw.close();
    await stopAll();
  });

  function rawWatch(request: Partial<WatchRequest>): ClientReadableStream<WatchResponse> {
    const raw = new WatchClient(endpointOf(replica), credentials.createInsecure());
    raws.push(raw);
    return raw.watch({ fromRevision: 0, kinds: [], keyPrefix: '', ...request });
  }

  it('replays history from a past revision, filtered by kind and key prefix', async () => {
    const start = (await registry.registerNode(registration('edge-a'))).modRevision;
    await registry.registerNode(registration('edge-b'));
    await registry.createModel(modelSpec('vision', 'yolo', '1'));
    await kv.put('settings', 'color', Buffer.from('blue'));
    await registry.setNodeLabels('edge-a', { tier: 'gold' });
    await registry.deleteNode('edge-b');

    const nodes = await collect(registry.watch({ fromRevision: start, kinds: [WatchKind.WATCH_KIND_NODE] }), 4);
    expect(nodes.map((e) => [e.type, e.key])).toEqual([
      [EventType.EVENT_TYPE_PUT, 'edge-a'],
      [EventType.EVENT_TYPE_PUT, 'edge-b'],
      [EventType.EVENT_TYPE_PUT, 'edge-a'],
      [EventType.EVENT_TYPE_DELETE, 'edge-b'],
    ]);
    const labelled = nodes[2]!;
    expect(labelled.object?.$case === 'node' && labelled.object.value.labels).toEqual({ tier: 'gold' });
    expect(nodes[3]!.object).toBeUndefined();

    const onlyA = await collect(registry.watch({ fromRevision: start, keyPrefix: 'edge-a' }), 2);
    expect(onlyA.map((e) => e.revision)).toEqual([start, nodes[2]!.revision]);

    const everything = await collect(registry.watch({ fromRevision: start }), 6);
    expect(everything.map((e) => e.kind)).toEqual([
      WatchKind.WATCH_KIND_NODE,
      WatchKind.WATCH_KIND_NODE,
      WatchKind.WATCH_KIND_MODEL,
      WatchKind.WATCH_KIND_KV,
      WatchKind.WATCH_KIND_NODE,
      WatchKind.WATCH_KIND_NODE,
    ]);
    const kvEvent = everything[3]!;
    expect(kvEvent.key).toBe('settings/color');
    expect(kvEvent.object?.$case === 'kv' && Buffer.from(kvEvent.object.value.value).toString()).toBe('blue');
  });

  it('opens with a created response, then delivers live changes', async () => {
    const stream = registry.watch({ kinds: [WatchKind.WATCH_KIND_KV] });
    const iterator = stream[Symbol.asyncIterator]();
    const created = (await iterator.next()).value as WatchResponse;
    expect(created.created).toBe(true);
    expect(created.events).toEqual([]);
    const put = await kv.put('live', 'k1', Buffer.from('v1'));
    expect(created.nextRevision).toBeLessThanOrEqual(put.modRevision);
    const live = (await iterator.next()).value as WatchResponse;
    expect(live.events.map((e) => [e.revision, e.key])).toEqual([[put.modRevision, 'live/k1']]);
    expect(live.nextRevision).toBe(put.modRevision + 1);
    expect(live.header?.revision).toBe(put.modRevision);
    stream.cancel();
    expect((await iterator.next()).done).toBe(true);
    await waitFor('the server to drop the cancelled watcher', () => replica.stateMachine.status().watchers === 0);
  });

  it('moves a watcher whose filter matches nothing on with responses of no events (progress)', async () => {
    const stream = registry.watch({ kinds: [WatchKind.WATCH_KIND_KV], keyPrefix: 'quiet/' });
    const timer = setTimeout(() => stream.cancel(), WAIT_MS_MAX);
    const iterator = stream[Symbol.asyncIterator]();
    const created = (await iterator.next()).value as WatchResponse;
    let last = 0;
    for (let i = 0; i < 40; i++) last = (await kv.put('busy', `k${i}`, Buffer.from('v'))).modRevision;
    const progress = (await iterator.next()).value as WatchResponse | undefined;
    clearTimeout(timer);
    expect(progress).toMatchObject({ created: false, events: [] });
    expect(progress!.nextRevision).toBeGreaterThan(created.nextRevision);
    expect(progress!.nextRevision).toBeLessThanOrEqual(last + 1);
    expect(progress!.header?.revision).toBe(progress!.nextRevision - 1);
    expect(stream.nextRevision).toBe(progress!.nextRevision); // where the client resumes after a break
    stream.cancel();
  });

  it('resumes after a cancel exactly where it stopped: no gap, no repeat', async () => {
    // 400 KiB values: a response holds whole revisions up to ~1 MiB, so 2 per response.
    const first = (await kv.put('big', 'k0', Buffer.alloc(400 * 1024, 1))).modRevision;
    for (let i = 1; i < 6; i++) await kv.put('big', `k${i}`, Buffer.alloc(400 * 1024, i));
    const stream = registry.watch({ fromRevision: first, kinds: [WatchKind.WATCH_KIND_KV] });
    const head = await collect(stream, 1);
    expect(head.length).toBeGreaterThan(0);
    expect(head.length).toBeLessThan(6);
    expect(stream.nextRevision).toBe(head[head.length - 1]!.revision + 1);

    const later = await kv.put('big', 'k6', Buffer.from('tail'));
    const rest = await collect(registry.watch({ fromRevision: stream.nextRevision, kinds: [WatchKind.WATCH_KIND_KV] }), 7 - head.length);
    expectContiguous([...head, ...rest], first, 7);
    expect(rest[rest.length - 1]!.revision).toBe(later.modRevision);
  });

  it('refuses a compacted starting revision with OUT_OF_RANGE and the oldest revision kept', async () => {
    // The change log keeps at most 64 MiB (DEFAULT_REPLICATED_LIMITS): 75 puts of 1000 KiB push the oldest out.
    // (1000 KiB, not 1 MiB: the Raft config refuses an entry above 1 MiB although a kv value may be 1 MiB.)
    const value = Buffer.alloc(1000 * 1024, 7);
    for (let i = 0; i < 75; i++) await kv.put('bulk', 'same-key', value);
    const oldest = replica.stateMachine.status().changeLogFirstRevision;
    expect(oldest).toBeGreaterThan(2);

    const err = await expectFailure(collect(registry.watch({ fromRevision: 1 }), 1), Code.OUT_OF_RANGE, `revision 1 is compacted`, `${oldest}`);
    expect(err).toBeInstanceOf(WatchCompactedError);
    expect((err as unknown as WatchCompactedError).oldestRevision).toBe(oldest);
    const tail = await collect(registry.watch({ fromRevision: oldest, kinds: [WatchKind.WATCH_KIND_KV] }), 1);
    expect(tail[0]!.revision).toBe(oldest);
  }, 30_000);

  it('aborts a client that reads too slowly, telling it where to resume', async () => {
    const call = rawWatch({ kinds: [WatchKind.WATCH_KIND_KV] });
    // Take the created response, then read nothing more: gRPC flow control holds the server's writes
    // back. (grpc-js buffers without bound in a client paused before its first read, so read one.)
    const created = await new Promise<WatchResponse>((resolve) => call.once('data', resolve));
    expect(created.created).toBe(true);
    call.pause();
    const value = Buffer.alloc(512 * 1024, 3);
    const revisions: number[] = [];
    // Bounded: the watcher's buffer (16 MiB) + the stream's (16 responses) + the socket's overflow well before 200 puts.
    for (let i = 0; i < 200 && replica.stateMachine.status().watchers === 1; i++) {
      revisions.push((await kv.put('flood', `k${i}`, value)).modRevision);
    }
    expect(replica.stateMachine.status().watchers).toBe(0);

    const received: WatchEvent[] = [];
    const status = await new Promise<ServiceError>((resolve, reject) => {
      call.on('data', (r: WatchResponse) => received.push(...r.events));
      call.on('error', resolve);
      call.on('end', () => reject(new Error('the stream ended without a status error')));
      call.resume();
    });
    expect(status.code).toBe(Code.ABORTED);
    const resume = Number(status.metadata.get('x-edgernetes-resume-revision')[0]);
    expect(status.details).toContain(`resume from revision ${resume}`);
    // Everything before the resume revision was delivered, in order, once.
    expectContiguous(received, revisions[0]!, resume - revisions[0]!);
    const rest = await collect(registry.watch({ fromRevision: resume, kinds: [WatchKind.WATCH_KIND_KV] }), revisions.length - received.length);
    expectContiguous([...received, ...rest], revisions[0]!, revisions.length);
  }, 30_000);

  it('ends open watches with ABORTED when the replica stops (stop does not hang)', async () => {
    const call = rawWatch({});
    await waitFor('the watch to open', () => replica.stateMachine.status().watchers === 1);
    const ended = new Promise<ServiceError>((resolve) => call.on('error', resolve));
    call.on('data', () => undefined);
    await replica.stop();
    const status = await ended;
    expect(status.code).toBe(Code.ABORTED);
    expect(Number(status.metadata.get('x-edgernetes-resume-revision')[0])).toBeGreaterThan(0);
  });

  it('refuses malformed watch requests with INVALID_ARGUMENT naming the field', async () => {
    const cases: [string, Partial<WatchRequest>][] = [
      ['kinds[1]', { kinds: [WatchKind.WATCH_KIND_KV, WatchKind.WATCH_KIND_UNSPECIFIED] }],
      ['kinds[0]', { kinds: [99 as WatchKind] }],
      ['keyPrefix', { keyPrefix: 'p'.repeat(5000) }],
    ];
    for (const [field, request] of cases) {
      const status = await new Promise<ServiceError>((resolve, reject) => {
        const call = rawWatch(request);
        call.on('data', () => reject(new Error(`${field}: a malformed watch was opened`)));
        call.on('error', resolve);
      });
      expect(status.code).toBe(Code.INVALID_ARGUMENT);
      expect(status.details).toContain(field);
    }
    expect(replica.stateMachine.status().watchers).toBe(0);
  });
});
