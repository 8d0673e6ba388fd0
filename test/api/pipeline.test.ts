// Goal: the Pipeline service answers every KV request exactly as the unary KV
// service would (same results, same status codes and messages), matched by id
// in any order; it bounds the requests one stream has in flight; it gives each
// request its own deadline; and it ends the response stream once the client
// ended its requests and every one was answered.
// Method: real replicas in process (helpers.ts) driven over a raw generated
// Pipeline stream and over unary calls side by side; for the bounds and the
// deadline, the service on its own gRPC server with KV handlers the test holds.
import { credentials, Server, ServerCredentials, status as Code, type ClientDuplexStream } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import type { CallContext } from '../../src/api/call.js';
import type { KvHandlers } from '../../src/api/kv-service.js';
import { pipelineService, PipelineStreams } from '../../src/api/pipeline-service.js';
import { EdgernetesClient } from '../../src/client/client.js';
import { KVClient, type PutResponse } from '../../src/gen/edgernetes/api/v1/kv.js';
import {
  PipelineClient,
  PipelineService,
  type PipelineRequest,
  type PipelineResponse,
} from '../../src/gen/edgernetes/api/v1/pipeline.js';
import { endpointOf, rawUnary, startSingle, startTrio, stopAll, WAIT_MS_MAX } from './helpers.js';

/** A raw stream: send requests, collect answers by id. */
class RawPipeline {
  readonly answers = new Map<number, PipelineResponse>();
  ended = false;
  private readonly waiters: (() => void)[] = [];
  readonly call: ClientDuplexStream<PipelineRequest, PipelineResponse>;

  constructor(readonly client: PipelineClient) {
    this.call = client.run();
    this.call.on('data', (r: PipelineResponse) => {
      this.answers.set(r.id, r);
      this.wake();
    });
    this.call.on('end', () => {
      this.ended = true;
      this.wake();
    });
    this.call.on('error', () => undefined);
  }

  send(request: Partial<PipelineRequest> & { id: number }): void {
    this.call.write({ timeoutMs: 0, ...request } as PipelineRequest);
  }

  async until(what: string, done: () => boolean): Promise<void> {
    const deadline = Date.now() + WAIT_MS_MAX;
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  async answer(id: number): Promise<PipelineResponse> {
    await this.until(`answer ${id}`, () => this.answers.has(id));
    return this.answers.get(id)!;
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}

const pipelines: RawPipeline[] = [];
const servers: Server[] = [];
const edgeClients: EdgernetesClient[] = [];
afterEach(async () => {
  for (const p of pipelines.splice(0)) {
    p.call.cancel();
    p.client.close();
  }
  for (const c of edgeClients.splice(0)) c.close();
  for (const s of servers.splice(0)) s.forceShutdown();
  await stopAll();
});

function open(endpoint: string): RawPipeline {
  const p = new RawPipeline(new PipelineClient(endpoint, credentials.createInsecure()));
  pipelines.push(p);
  return p;
}

const put = (namespace: string, key: string, value: string, seq: number) => ({
  $case: 'put' as const,
  value: { header: { clientId: 'pipeline-test', seq }, namespace, key, value: Buffer.from(value) },
});

describe('Pipeline service on a replica', () => {
  it('answers puts, gets, ranges, deletes and swaps by id, as the unary calls do', async () => {
    const replica = await startSingle();
    const p = open(endpointOf(replica));
    p.send({ id: 10, op: put('ns', 'a', 'one', 1) });
    p.send({ id: 11, op: put('ns', 'b', 'two', 2) });
    const [a, b] = [await p.answer(10), await p.answer(11)];
    expect(a.error).toBeUndefined();
    expect(a.result?.$case).toBe('put');
    const putA = a.result!.value as PutResponse;
    const putB = b.result!.value as PutResponse;
    expect(putA.modRevision).toBeGreaterThan(0);
    expect(new Set([putA.modRevision, putB.modRevision]).size).toBe(2);

    p.send({ id: 20, op: { $case: 'get', value: { namespace: 'ns', key: 'a' } } });
    p.send({ id: 21, op: { $case: 'range', value: { namespace: 'ns', prefix: '', limit: 0, cursor: '' } } });
    const got = await p.answer(20);
    const unaryGot = await rawUnary(replica, KVClient, (c) => c.get, { namespace: 'ns', key: 'a' });
    expect(got.result).toEqual({ $case: 'get', value: unaryGot });
    const ranged = await p.answer(21);
    expect(ranged.result?.$case === 'range' && ranged.result.value.kvs.map((kv) => kv.key)).toEqual(['a', 'b']);

    const cas = { namespace: 'ns', key: 'a', value: Buffer.from('three'), delete: false, expect: { $case: 'expectValue' as const, value: Buffer.from('nope') } };
    p.send({ id: 30, op: { $case: 'compareAndSwap', value: { header: { clientId: 'pipeline-test', seq: 3 }, ...cas } } });
    const swapped = await p.answer(30);
    expect(swapped.result?.$case === 'compareAndSwap' && swapped.result.value.swapped).toBe(false);

    p.send({ id: 40, op: { $case: 'delete', value: { header: { clientId: 'pipeline-test', seq: 4 }, namespace: 'ns', key: 'b', prefix: false, limit: 0 } } });
    const deleted = await p.answer(40);
    expect(deleted.result?.$case === 'delete' && deleted.result.value.deleted).toBe(1);
  });

  it('fails a request with the code and message its unary twin gets, and keeps the stream open', async () => {
    const replica = await startSingle();
    const p = open(endpointOf(replica));
    const bad = { header: { clientId: 'pipeline-test', seq: 1 }, namespace: '', key: 'k', value: Buffer.from('v') };
    p.send({ id: 1, op: { $case: 'put', value: bad } });
    const answer = await p.answer(1);
    const unary = await rawUnary(replica, KVClient, (c) => c.put, bad).then(
      () => null,
      (err: { code: number; details: string }) => err,
    );
    expect(unary).not.toBeNull();
    expect(answer.error).toEqual({ code: unary!.code, message: unary!.details });
    expect(answer.error!.code).toBe(Code.INVALID_ARGUMENT);
    expect(answer.result).toBeUndefined();

    p.send({ id: 2 }); // no op at all
    expect((await p.answer(2)).error).toEqual({ code: Code.INVALID_ARGUMENT, message: expect.stringContaining('op: one of put') });

    p.send({ id: 3, op: put('ns', 'k', 'v', 2) }); // the stream still serves
    expect((await p.answer(3)).error).toBeUndefined();
  });

  it('ends the response stream once the requests ended and every one was answered', async () => {
    const replica = await startSingle();
    const p = open(endpointOf(replica));
    for (let i = 1; i <= 20; i++) p.send({ id: i, op: put('ns', `k${i}`, 'v', i) });
    p.call.end();
    await p.until('the response stream to end', () => p.ended);
    expect([...p.answers.keys()].sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect([...p.answers.values()].every((a) => a.error === undefined)).toBe(true);
  });

  it('a stopping replica ends its open pipeline streams instead of waiting for the client to hang up', async () => {
    const replica = await startSingle();
    const client = new EdgernetesClient({ endpoints: [endpointOf(replica)] });
    edgeClients.push(client);
    await client.put('ns', 'k', Buffer.from('v')); // the client's stream is open and idle
    const startedMs = Date.now();
    await replica.stop();
    // Without ending the stream, stop waited out its whole shutdown grace (10 s) and then cut it.
    expect(Date.now() - startedMs).toBeLessThan(2_000);
  });

  it('forwards writes sent to a follower to the leader, each applied once', async () => {
    const { followers, leader } = await startTrio();
    const client = new EdgernetesClient({ endpoints: [endpointOf(followers[0]!)] });
    edgeClients.push(client);
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => client.put('ns', `k${i % 10}`, Buffer.from(`v${i}`))));
    expect(answers.every((a) => a.header?.memberId === leader.id)).toBe(true);
    const revisions = answers.map((a) => a.modRevision);
    expect(new Set(revisions).size).toBe(40); // each write its own revision: none applied twice, none lost
    const { kvs } = await client.range('ns', '');
    expect(kvs).toHaveLength(10);
    // A refusal made by the leader keeps its code and message across the forwarding hop.
    const p = open(endpointOf(followers[0]!));
    const noExpectation = { header: { clientId: 'pipeline-test', seq: 1 }, namespace: 'ns', key: 'k0', value: Buffer.from('x'), delete: false };
    p.send({ id: 1, op: { $case: 'compareAndSwap', value: noExpectation } });
    expect((await p.answer(1)).error).toEqual({ code: Code.INVALID_ARGUMENT, message: expect.stringContaining('expect: one of') });
  });
});

/** KV handlers whose puts wait until the test releases them; they record their contexts. */
function heldHandlers() {
  const held: { release: () => void; context: CallContext }[] = [];
  const answer: PutResponse = { header: { revision: 1, memberId: 'fake', raftTerm: 1 }, createRevision: 1, modRevision: 1, version: 1, prevModRevision: 0 };
  const refuse = () => Promise.reject(new Error('not used by this test'));
  const handlers: KvHandlers = {
    put: (_request, context) => new Promise<PutResponse>((resolve) => held.push({ release: () => resolve(answer), context })),
    get: refuse,
    range: refuse,
    delete: refuse,
    compareAndSwap: refuse,
  };
  return { held, handlers };
}

async function serve(handlers: KvHandlers, inFlightMax: number, streams = new PipelineStreams()): Promise<string> {
  const server = new Server();
  servers.push(server);
  server.addService(PipelineService, pipelineService(handlers, { requestTimeoutMs: 10_000 }, streams, { inFlightMax }));
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return `127.0.0.1:${port}`;
}

describe('Pipeline service bounds and deadlines', () => {
  it('refuses one request beyond inFlightMax with RESOURCE_EXHAUSTED at once, and serves again once answers went out', async () => {
    const { held, handlers } = heldHandlers();
    const p = open(await serve(handlers, 3));
    for (let id = 1; id <= 4; id++) p.send({ id, op: put('ns', 'k', 'v', id) });
    const refused = await p.answer(4);
    expect(refused.error?.code).toBe(Code.RESOURCE_EXHAUSTED);
    expect(refused.error?.message).toContain('more than 3 requests in flight');
    expect(held).toHaveLength(3); // the fourth never reached a handler
    for (const h of held.splice(0)) h.release();
    await p.until('three answers', () => [1, 2, 3].every((id) => p.answers.has(id)));
    p.send({ id: 5, op: put('ns', 'k', 'v', 5) });
    await p.until('the fifth to reach its handler', () => held.length === 1);
    held[0]!.release();
    expect((await p.answer(5)).error).toBeUndefined();
  });

  it("gives each request its own deadline from timeout_ms (0: the server's default)", async () => {
    const { held, handlers } = heldHandlers();
    const p = open(await serve(handlers, 8));
    const sentMs = Date.now();
    p.send({ id: 1, timeoutMs: 700, op: put('ns', 'k', 'v', 1) });
    p.send({ id: 2, timeoutMs: 0, op: put('ns', 'k', 'v', 2) });
    await p.until('both requests at their handlers', () => held.length === 2);
    const [short, dflt] = held.map((h) => h.context.deadlineMs - sentMs) as [number, number];
    // The handler must answer a margin (25 ms) before the caller's deadline.
    expect(short).toBeGreaterThan(600);
    expect(short).toBeLessThanOrEqual(700);
    expect(dflt).toBeGreaterThan(9_000);
    expect(dflt).toBeLessThanOrEqual(10_000);
    for (const h of held) h.release();
  });

  it('ends its streams when the replica stops: new requests UNAVAILABLE, those being served answered first', async () => {
    const { held, handlers } = heldHandlers();
    const streams = new PipelineStreams();
    const address = await serve(handlers, 8, streams);
    const p = open(address);
    p.send({ id: 1, op: put('ns', 'k', 'v', 1) });
    await p.until('the first request at its handler', () => held.length === 1);
    streams.endAll();
    p.send({ id: 2, op: put('ns', 'k', 'v', 2) });
    const refused = await p.answer(2);
    expect(refused.error).toEqual({ code: Code.UNAVAILABLE, message: expect.stringContaining('stopping') });
    expect(p.ended).toBe(false); // the first is still being served
    held[0]!.release();
    await p.until('the stream to end', () => p.ended);
    expect(p.answers.get(1)?.error).toBeUndefined();
    // A stream opened after endAll is ended at once.
    const late = open(address);
    late.send({ id: 1, op: put('ns', 'k', 'v', 3) });
    await late.until('the late stream to end', () => late.ended);
    expect(held).toHaveLength(1);
  });
});
