// Goal: the client fails over between endpoints, stops at once on errors another
// endpoint cannot fix, and gives up with UNAVAILABLE inside its deadline.
// Method: real gRPC KV servers on loopback whose handlers answer with chosen statuses.
import { Server, ServerCredentials, status, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { EdgernetesClient } from '../../src/client/client.js';
import { ClusterUnavailableError, RequestError } from '../../src/client/errors.js';
import { KVService, type PutRequest, type PutResponse } from '../../src/gen/edgernetes/api/v1/kv.js';

type Behaviour = 'ok' | 'unavailable' | 'invalid' | 'silent';

interface FakeReplica {
  server: Server;
  address: string;
  seen: PutRequest[];
}

async function startReplica(name: string, behaviour: Behaviour): Promise<FakeReplica> {
  const server = new Server();
  const seen: PutRequest[] = [];
  const unimplemented = (_c: unknown, cb: sendUnaryData<unknown>) => cb({ code: status.UNIMPLEMENTED });
  server.addService(KVService, {
    put(call: ServerUnaryCall<PutRequest, PutResponse>, cb: sendUnaryData<PutResponse>) {
      seen.push(call.request);
      if (behaviour === 'unavailable') return cb({ code: status.UNAVAILABLE, details: `${name}: no leader` });
      if (behaviour === 'silent') return; // an isolated replica: never answers
      if (behaviour === 'invalid') return cb({ code: status.INVALID_ARGUMENT, details: 'key: must not be empty' });
      cb(null, { header: { revision: 7, memberId: name, raftTerm: 2 }, createRevision: 7, modRevision: 7, version: 1, prevModRevision: 0 });
    },
    get: unimplemented,
    range: unimplemented,
    delete: unimplemented,
    compareAndSwap: unimplemented,
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return { server, address: `127.0.0.1:${port}`, seen };
}

const started: FakeReplica[] = [];
const clients: EdgernetesClient[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
  for (const r of started.splice(0)) r.server.forceShutdown();
});

async function cluster(...behaviours: Behaviour[]) {
  for (const [i, b] of behaviours.entries()) started.push(await startReplica(`n${i + 1}`, b));
  const client = new EdgernetesClient({ endpoints: started.map((r) => r.address), callTimeoutMs: 2_000 });
  clients.push(client);
  return client;
}

describe('endpoint failover', () => {
  it('moves past unavailable replicas and retries the write with the same sequence number', async () => {
    const client = await cluster('unavailable', 'unavailable', 'ok');
    const res = await client.put('default', 'k', new Uint8Array([1]));
    expect(res.header?.memberId).toBe('n3');
    const seqs = started.flatMap((r) => r.seen.map((p) => p.header?.seq));
    expect(seqs).toEqual([1, 1, 1]);
    // The next write starts at the endpoint that answered and takes the next sequence number.
    await client.put('default', 'k', new Uint8Array([2]));
    expect(started[2]!.seen.map((p) => p.header?.seq)).toEqual([1, 2]);
    expect(started[0]!.seen).toHaveLength(1);
  });

  it('moves past a replica that never answers after one attempt timeout, not the whole deadline', async () => {
    for (const [i, b] of (['silent', 'ok'] as const).entries()) started.push(await startReplica(`n${i + 1}`, b));
    const client = new EdgernetesClient({ endpoints: started.map((r) => r.address), callTimeoutMs: 10_000, attemptTimeoutMs: 300 });
    clients.push(client);
    const res = await client.put('default', 'k', new Uint8Array([1]));
    expect(res.header?.memberId).toBe('n2');
    expect(started[0]!.seen).toHaveLength(1);
    expect(started[1]!.seen.map((p) => p.header?.seq)).toEqual([1]); // the same write, retried
  });

  it('throws errors another endpoint cannot fix at once, naming the problem', async () => {
    const client = await cluster('invalid', 'ok');
    const err = await client.put('default', '', new Uint8Array()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RequestError);
    expect((err as RequestError).code).toBe(status.INVALID_ARGUMENT);
    expect((err as Error).message).toContain('key: must not be empty');
    expect(started[1]!.seen).toHaveLength(0);
  });

  it('gives up with UNAVAILABLE within the deadline when no replica can serve', async () => {
    const client = await cluster('unavailable', 'unavailable');
    const begin = Date.now();
    const err = await client.put('default', 'k', new Uint8Array(), { timeoutMs: 500 }).catch((e: unknown) => e);
    const elapsedMs = Date.now() - begin;
    expect(err).toBeInstanceOf(ClusterUnavailableError);
    expect((err as ClusterUnavailableError).code).toBe(status.UNAVAILABLE);
    expect(elapsedMs).toBeLessThan(2_000); // bounded by the deadline, not a hang
  });

  it("gives up with what a replica answered, not with the timeout of a silent one after it", async () => {
    const client = await cluster('unavailable', 'silent');
    const err = await client.put('default', 'k', new Uint8Array(), { timeoutMs: 1_300 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClusterUnavailableError);
    expect((err as ClusterUnavailableError).code).toBe(status.UNAVAILABLE);
    expect((err as Error).message).toMatch(/n1: no leader/);
    expect(started[1]!.seen.length).toBeGreaterThanOrEqual(1); // the silent one was tried, and timed out
  });

  it('gives up with DEADLINE_EXCEEDED when no replica answered at all', async () => {
    const client = await cluster('silent', 'silent');
    const err = await client.put('default', 'k', new Uint8Array(), { timeoutMs: 400 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClusterUnavailableError);
    expect((err as ClusterUnavailableError).code).toBe(status.DEADLINE_EXCEEDED);
  });

  it('rejects malformed endpoint lists with a clear error', () => {
    expect(() => new EdgernetesClient({ endpoints: [] })).toThrow(/at least one endpoint/);
    expect(() => new EdgernetesClient({ endpoints: ['localhost'] })).toThrow(/"localhost" is not HOST:PORT/);
  });
});
