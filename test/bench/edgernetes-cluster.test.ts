// Goal: the Edgernetes side of the benchmark harness works on real processes: a 3-replica
// cluster starts on free loopback ports and agrees on a leader; the load ops write and read
// through the product client; kill -9 of the leader yields a new leader and the failover writer
// (per-attempt timeout, all endpoints) gets a write acknowledged; the killed replica restarts on
// its data and follows; an isolated leader (when root: nftables, own uids) is replaced without a
// broken connection and rejoins when healed; stop() leaves no process and no data behind.
// Method: one cluster (heartbeat 100 ms, election 1000 ms) for the file, driven through the same
// library calls the benches use; every wait is bounded; no timing thresholds (shared machine).
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EdgernetesClient } from '../../src/client/client.js';
import { EdgernetesCluster } from '../../bench/lib/edgernetes-cluster.js';
import { totalCpuMs } from '../../bench/lib/edgernetes-cpu.js';
import { isProcessAlive } from '../../bench/lib/member-process.js';
import {
  AttemptingWriter,
  BENCH_NAMESPACE,
  EdgernetesLoadClients,
  edgernetesGetOp,
  edgernetesPutOp,
} from '../../bench/lib/edgernetes-ops.js';
import { benchKey, benchValue } from '../../bench/lib/etcd-ops.js';
import { runLoad } from '../../bench/lib/loadgen.js';

const isRoot = process.getuid?.() === 0;
const BOUNDS = { attemptTimeoutMs: 250, callTimeoutMs: 30_000 };

describe('Edgernetes cluster of the benches (real replicas on 127.0.0.1)', () => {
  let cluster: EdgernetesCluster;
  let clients: EdgernetesLoadClients;

  beforeAll(async () => {
    cluster = await EdgernetesCluster.start({ isolatable: isRoot });
    clients = new EdgernetesLoadClients(cluster);
  }, 120_000);

  afterAll(async () => {
    clients?.close();
    await cluster?.stop();
  });

  it('agrees on one leader, which every replica names', async () => {
    const leader = await cluster.waitHealthy();
    const statuses = await Promise.all(cluster.endpoints.map((_, i) => cluster.status(i)));
    expect(statuses.map((s) => s.memberId)).toEqual(['n1', 'n2', 'n3']);
    expect(new Set(statuses.map((s) => s.leaderId))).toEqual(new Set([`n${leader + 1}`]));
    expect(await cluster.leaderIndex()).toBe(leader);
    expect(cluster.endpointsFrom(2)).toEqual([cluster.endpoints[2], cluster.endpoints[0], cluster.endpoints[1]]);
  });

  it('runs put and get ops through the leader and through every endpoint', async () => {
    const value = benchValue(256);
    const put = await runLoad(edgernetesPutOp(clients.spread, value), { concurrency: 3, opCount: 30 });
    expect(put.errors).toBe(0);
    const leaderClient = await clients.toLeader();
    const got = await leaderClient.get(BENCH_NAMESPACE, benchKey(29));
    expect(Buffer.from(got.kv!.value).equals(value)).toBe(true);
    for (const stale of [false, true]) {
      const read = await runLoad(edgernetesGetOp(clients.spread, { stale }), { concurrency: 3, opCount: 30 });
      expect(read.errors).toBe(0);
    }
    expect(totalCpuMs(cluster.pids as number[])).toBeGreaterThan(0);
  });

  it('kill -9 of the leader: a new leader, a write through the failover writer, the replica restarts', async () => {
    const leader = await cluster.leaderIndex();
    const writer = new AttemptingWriter(cluster, leader, BOUNDS);
    try {
      await writer.put('failover/before', Buffer.from('1'));
      const pid = cluster.pids[leader]!;
      await cluster.kill(leader);
      expect(isProcessAlive(pid)).toBe(false);
      await writer.put('failover/after', Buffer.from('2'));
      expect(await cluster.leaderIndex()).not.toBe(leader);
    } finally {
      writer.close();
    }
    await cluster.restart(leader);
    expect(cluster.isRunning(leader)).toBe(true);
    await cluster.waitHealthy();
    const one = new EdgernetesClient({ endpoints: [cluster.endpoints[leader]!] });
    try {
      expect((await one.get(BENCH_NAMESPACE, 'failover/after')).kv?.value.toString()).toBe('2');
    } finally {
      one.close();
    }
  }, 120_000);

  it.skipIf(!isRoot)('an isolated leader is replaced without a broken connection and rejoins when healed', async () => {
    const leader = await cluster.leaderIndex();
    const writer = new AttemptingWriter(cluster, leader, BOUNDS);
    try {
      await writer.put('isolation/before', Buffer.from('1'));
      await cluster.isolate(leader);
      await writer.put('isolation/after', Buffer.from('2'));
      const next = await cluster.leaderIndex();
      expect(next).not.toBe(leader);
      expect(cluster.isRunning(leader)).toBe(true);
    } finally {
      writer.close();
      await cluster.heal(leader);
    }
    await cluster.waitHealthy();
    const status = await cluster.status(leader);
    expect(status.leaderId).not.toBe(`n${leader + 1}`);
  }, 120_000);

  it('stop() kills every replica and removes the data', async () => {
    const pids = cluster.pids.filter((p): p is number => p !== undefined);
    expect(pids).toHaveLength(3);
    clients.close();
    await cluster.stop();
    for (const pid of pids) expect(isProcessAlive(pid)).toBe(false);
    expect(existsSync(cluster.dir)).toBe(false);
    await cluster.stop(); // idempotent
  });
});
