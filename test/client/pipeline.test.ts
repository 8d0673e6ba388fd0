// Goal: pipelined KV calls fail over like unary calls do. Requests in flight
// on a stream that breaks are retried elsewhere and applied once; a stream that
// stays silent is given up after the attempt timeout and reopened; a replica
// without the Pipeline service gets unary calls; the client bounds the
// requests it has in flight on one stream.
// Method: a real 3-replica cluster in process for the broken stream; gRPC
// servers on loopback with handlers the test controls for the rest.
import { Server, ServerCredentials, status as Code, type ServerDuplexStream, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
import { credentials } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { EdgernetesClient } from '../../src/client/client.js';
import { PipelineConnection } from '../../src/client/pipeline.js';
import { KVService, type PutRequest, type PutResponse } from '../../src/gen/edgernetes/api/v1/kv.js';
import { PipelineClient, PipelineService, type PipelineRequest, type PipelineResponse } from '../../src/gen/edgernetes/api/v1/pipeline.js';
import { endpointOf, startTrio, stopAll } from '../api/helpers.js';

const servers: Server[] = [];
const closers: (() => void)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) close();
  for (const s of servers.splice(0)) s.forceShutdown();
  await stopAll();
});

function client(endpoints: string[], extra: Partial<ConstructorParameters<typeof EdgernetesClient>[0]> = {}): EdgernetesClient {
  const c = new EdgernetesClient({ endpoints, callTimeoutMs: 5_000, ...extra });
  closers.push(() => c.close());
  return c;
}

const putAnswer = (memberId: string): PutResponse => ({
  header: { revision: 9, memberId, raftTerm: 1 },
  createRevision: 9,
  modRevision: 9,
  version: 1,
  prevModRevision: 0,
});

async function listen(server: Server): Promise<string> {
  servers.push(server);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return `127.0.0.1:${port}`;
}

/** A Pipeline server that answers puts with `memberId`, or never answers when `silent`. */
async function pipelineServer(memberId: string, silent: boolean) {
  const events = { requests: 0, cancelled: 0, streams: 0 };
  const server = new Server();
  server.addService(PipelineService, {
    run(call: ServerDuplexStream<PipelineRequest, PipelineResponse>) {
      events.streams += 1;
      call.on('cancelled', () => (events.cancelled += 1));
      call.on('error', () => undefined);
      call.on('data', (request: PipelineRequest) => {
        events.requests += 1;
        if (!silent) call.write({ id: request.id, result: { $case: 'put', value: putAnswer(memberId) } });
      });
    },
  });
  return { address: await listen(server), events };
}

describe('pipelined calls', () => {
  it('retries the writes in flight on a stream that broke on another replica, each applied once', async () => {
    const { leader, followers } = await startTrio();
    const c = client([endpointOf(leader), endpointOf(followers[0]!)]);
    await c.put('ns', 'warm', Buffer.from('x')); // the stream to the leader is open
    const writes = Array.from({ length: 64 }, (_, i) => c.put('ns', `k${i}`, Buffer.from(`v${i}`)));
    await leader.stop(); // hands leadership over and closes its server: its stream ends under the writes
    const answers = await Promise.all(writes);
    // Some writes were answered by the new leader: they were retried after the stream broke.
    expect(answers.some((a) => a.header?.memberId !== leader.id)).toBe(true);
    expect(new Set(answers.map((a) => a.modRevision)).size).toBe(64);
    const { kvs } = await c.range('ns', 'k', 100);
    expect(kvs).toHaveLength(64);
    expect(Math.max(...answers.map((a) => a.modRevision))).toBeLessThanOrEqual(kvs.reduce((m, kv) => Math.max(m, kv.modRevision), 0));
  });

  it('gives up on a silent stream after the attempt timeout, fails over, and reopens the stream later', async () => {
    const silent = await pipelineServer('n1', true);
    const ok = await pipelineServer('n2', false);
    const c = client([silent.address, ok.address], { attemptTimeoutMs: 200 });
    const startedMs = Date.now();
    const answer = await c.put('ns', 'k', Buffer.from('v'));
    expect(answer.header?.memberId).toBe('n2');
    expect(Date.now() - startedMs).toBeLessThan(1_500);
    expect(silent.events.requests).toBe(1);
    // The silent stream was cancelled, so the client does not keep queueing on it.
    await expect.poll(() => silent.events.cancelled, { timeout: 2_000 }).toBe(1);
    // Next calls go to the replica that answered; asking the silent one again opens a fresh stream.
    const direct = client([silent.address], { attemptTimeoutMs: 150, callTimeoutMs: 400 });
    await expect(direct.put('ns', 'k', Buffer.from('v'))).rejects.toMatchObject({ code: Code.DEADLINE_EXCEEDED });
    expect(silent.events.streams).toBeGreaterThanOrEqual(2);
  });

  it('falls back to unary calls on a replica without the Pipeline service', async () => {
    const seen: PutRequest[] = [];
    const server = new Server();
    const unimplemented = (_c: unknown, cb: sendUnaryData<unknown>) => cb({ code: Code.UNIMPLEMENTED });
    server.addService(KVService, {
      put(call: ServerUnaryCall<PutRequest, PutResponse>, cb: sendUnaryData<PutResponse>) {
        seen.push(call.request);
        cb(null, putAnswer('old'));
      },
      get: unimplemented,
      range: unimplemented,
      delete: unimplemented,
      compareAndSwap: unimplemented,
    });
    const c = client([await listen(server)]);
    expect((await c.put('ns', 'a', Buffer.from('1'))).header?.memberId).toBe('old');
    expect((await c.put('ns', 'b', Buffer.from('2'))).header?.memberId).toBe('old');
    expect(seen.map((r) => [r.key, r.header?.seq])).toEqual([
      ['a', 1],
      ['b', 2],
    ]);
  });

  it('queues requests beyond its in-flight bound, sends them as answers free room, and refuses beyond the queue', async () => {
    const held: { call: ServerDuplexStream<PipelineRequest, PipelineResponse>; id: number }[] = [];
    const server = new Server();
    server.addService(PipelineService, {
      run(call: ServerDuplexStream<PipelineRequest, PipelineResponse>) {
        call.on('error', () => undefined);
        call.on('data', (request: PipelineRequest) => held.push({ call, id: request.id }));
      },
    });
    const address = await listen(server);
    const grpcClient = new PipelineClient(address, credentials.createInsecure());
    const connection = new PipelineConnection(grpcClient, address, { inFlightMax: 2, waitingMax: 1 });
    closers.push(() => {
      connection.close();
      grpcClient.close();
    });
    const put = { $case: 'put' as const, value: { namespace: 'ns', key: 'k', value: Buffer.from('v') } };
    const deadlineMs = Date.now() + 5_000;
    const sent = [connection.request(put, deadlineMs), connection.request(put, deadlineMs)];
    const queued = connection.request(put, deadlineMs);
    await expect(connection.request(put, deadlineMs)).rejects.toMatchObject({ code: Code.RESOURCE_EXHAUSTED });
    await expect.poll(() => held.length, { timeout: 2_000 }).toBe(2);
    const answer = (h: (typeof held)[number]) => h.call.write({ id: h.id, result: { $case: 'put', value: putAnswer('n1') } });
    answer(held[0]!); // frees room: the queued one goes out
    await expect(sent[0]).resolves.toMatchObject({ $case: 'put' });
    await expect.poll(() => held.length, { timeout: 2_000 }).toBe(3);
    answer(held[2]!);
    await expect(queued).resolves.toMatchObject({ $case: 'put' });
    connection.close();
    await expect(sent[1]).rejects.toMatchObject({ code: Code.CANCELLED });
  });
});
