// Goal: one client may have many writes in flight, and each is applied exactly
// once — also when they reach the leader out of order along different paths
// (direct and forwarded by a follower); a client whose first write never
// reached the log is not locked out; a write below the firstUnackedSeq the
// client reported is refused, never applied; bad session headers are
// INVALID_ARGUMENT naming the field.
// Method: real replicas in process (Replica.start, gRPC on 127.0.0.1, WAL and
// LevelDB in temp directories): the client library for concurrent writes, raw
// generated clients to send headers in an order the library never would.
import { status as Code } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { EdgernetesClient } from '../../src/client/client.js';
import type { WriteHeader } from '../../src/gen/edgernetes/api/v1/common.js';
import { KVClient, type PutResponse } from '../../src/gen/edgernetes/api/v1/kv.js';
import type { Replica } from '../../src/server/replica.js';
import {
  clientOf,
  endpointOf,
  expectFailure,
  rawUnary,
  registration,
  startSingle,
  startTrio,
  stopAll,
} from '../api/helpers.js';

const clients: EdgernetesClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await stopAll();
});

function kvClient(replica: Replica): EdgernetesClient {
  const client = new EdgernetesClient({ endpoints: [endpointOf(replica)], callTimeoutMs: 10_000 });
  clients.push(client);
  return client;
}

const putRaw = (replica: Replica, header: WriteHeader, key: string): Promise<PutResponse> =>
  rawUnary(replica, KVClient, (c) => c.put, { header, namespace: 'default', key, value: Buffer.from(key) });

async function expectEachWrittenOnce(client: EdgernetesClient, keys: readonly string[]): Promise<void> {
  for (const key of keys) {
    const got = await client.get('default', key);
    expect({ key, found: got.found, version: got.kv?.version }).toEqual({ key, found: true, version: 1 });
  }
}

describe('concurrent writes of one client, 1 replica', () => {
  it('64 puts in flight at once through one EdgernetesClient all succeed, each applied once', async () => {
    const replica = await startSingle();
    const client = kvClient(replica);
    const keys = Array.from({ length: 64 }, (_, i) => `concurrent/${i}`);
    const settled = await Promise.allSettled(keys.map((key) => client.put('default', key, Buffer.from(key))));
    const errors = settled.flatMap((s) => (s.status === 'rejected' ? [String(s.reason)] : []));
    expect(errors).toEqual([]);
    const revisions = settled.map((s) => (s as PromiseFulfilledResult<PutResponse>).value.modRevision);
    expect(new Set(revisions).size).toBe(64);
    await expectEachWrittenOnce(client, keys);
  });

  it('registry writes of one client run concurrently without refusals', async () => {
    const replica = await startSingle();
    const registry = clientOf(replica, 10_000);
    const ids = Array.from({ length: 32 }, (_, i) => `edge-${i}`);
    const results = await Promise.all(ids.map((id) => registry.registerNode(registration(id))));
    expect(results.every((r) => r.created)).toBe(true);
    expect((await registry.listNodes()).nodes.map((n) => n.id).sort()).toEqual([...ids].sort());
  });

  it('a client whose first write never reached the log goes on at seq 2', async () => {
    const replica = await startSingle();
    await putRaw(replica, { clientId: 'late-start', seq: 2, firstUnackedSeq: 1 }, 'a');
    await putRaw(replica, { clientId: 'late-start', seq: 3 }, 'b');
    await expectEachWrittenOnce(kvClient(replica), ['a', 'b']);
  });

  it('seq 8 before seq 7: both applied once; after the client acknowledged them, 7 is refused', async () => {
    const replica = await startSingle();
    const eight = await putRaw(replica, { clientId: 'c', seq: 8, firstUnackedSeq: 7 }, 'eight');
    const seven = await putRaw(replica, { clientId: 'c', seq: 7, firstUnackedSeq: 7 }, 'seven');
    const retry = await putRaw(replica, { clientId: 'c', seq: 7, firstUnackedSeq: 7 }, 'seven');
    expect(retry.modRevision).toBe(seven.modRevision);
    expect(eight.modRevision).not.toBe(seven.modRevision);
    await putRaw(replica, { clientId: 'c', seq: 9, firstUnackedSeq: 9 }, 'nine');
    const stray = putRaw(replica, { clientId: 'c', seq: 7, firstUnackedSeq: 7 }, 'seven');
    await expectFailure(stray, Code.FAILED_PRECONDITION, 'seq 7', 'floor 9');
    await expectEachWrittenOnce(kvClient(replica), ['seven', 'eight', 'nine']);
  });

  it('refuses a first_unacked_seq above seq or without a client id, naming the field', async () => {
    const replica = await startSingle();
    const above = putRaw(replica, { clientId: 'c', seq: 3, firstUnackedSeq: 4 }, 'k');
    await expectFailure(above, Code.INVALID_ARGUMENT, 'header.first_unacked_seq');
    const anonymous = putRaw(replica, { clientId: '', seq: 0, firstUnackedSeq: 1 }, 'k');
    await expectFailure(anonymous, Code.INVALID_ARGUMENT, 'header.first_unacked_seq');
  });
});

describe('concurrent writes of one client, 3 replicas', () => {
  it('writes sent at once half directly to the leader, half through a follower, are each applied once', async () => {
    const { leader, followers } = await startTrio();
    const count = 32;
    const keys = Array.from({ length: count }, (_, i) => `spread/${i}`);
    // Every write is outstanding while the others are sent: firstUnackedSeq stays 1.
    const headers = keys.map((_, i) => ({ clientId: 'spread', seq: i + 1, firstUnackedSeq: 1 }));
    const via = (i: number) => (i % 2 === 0 ? leader : followers[0]!);
    const first = await Promise.all(keys.map((key, i) => putRaw(via(i), headers[i]!, key)));
    expect(new Set(first.map((r) => r.modRevision)).size).toBe(count);
    // Retries along the other path are answered from the session.
    const retries = await Promise.all(keys.map((key, i) => putRaw(via(i + 1), headers[i]!, key)));
    expect(retries.map((r) => r.modRevision)).toEqual(first.map((r) => r.modRevision));
    await expectEachWrittenOnce(kvClient(leader), keys);
  });
});
