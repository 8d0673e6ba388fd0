// Goal: the etcd side of the benchmarks works end to end on this machine: a 3-member
// cluster starts on loopback, the gRPC client (etcd's protos loaded at run time) puts
// and reads back keys, kill -9 of the leader yields a new leader, a killed member
// restarts on its data, isolation and pause stop a leader from serving without
// breaking connections, the load generator and the failover measurement run against
// it, and stop() leaves no process and no data behind.
// Method: one real cluster (heartbeat 100 ms, election 1000 ms) for the whole file,
// driven through the same library calls the benches use; every wait is bounded.
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EtcdClient } from '../../bench/lib/etcd-client.js';
import { EtcdCluster } from '../../bench/lib/etcd-cluster.js';
import { benchValue, etcdFailoverTarget, etcdPutOp, etcdRangeOp } from '../../bench/lib/etcd-ops.js';
import { EtcdRequestError } from '../../bench/lib/errors.js';
import { measureFailover } from '../../bench/lib/failover.js';
import { runLoad } from '../../bench/lib/loadgen.js';
import { etcdUnavailable, isAlive } from './etcd-available.js';

/** Isolation needs root (nftables); CI and the developer machines run as root. */
const isRoot = process.getuid?.() === 0;

describe.skipIf(etcdUnavailable)('etcd cluster (real etcd on 127.0.0.1)', () => {
  let cluster: EtcdCluster;
  let client: EtcdClient;

  beforeAll(async () => {
    cluster = await EtcdCluster.start({ isolatable: isRoot });
    client = await EtcdClient.create({ endpoints: cluster.endpoints, callTimeoutMs: 20_000, attemptTimeoutMs: 250 });
  }, 120_000);

  afterAll(async () => {
    client?.close();
    await cluster?.stop();
  });

  it('puts a key and reads it back, linearizable and serializable, from every member', async () => {
    const put = await client.put('greeting', 'hello etcd');
    expect(put.revision).toBeGreaterThan(1);
    const read = await client.range('greeting');
    expect(read.value?.toString()).toBe('hello etcd');
    expect(read.revision).toBeGreaterThanOrEqual(put.revision);
    for (const endpoint of cluster.endpoints) {
      const one = await EtcdClient.create({ endpoints: [endpoint] });
      try {
        expect((await one.range('greeting')).value?.toString()).toBe('hello etcd');
        const stale = await one.range('greeting', { serializable: true });
        expect([undefined, 'hello etcd']).toContain(stale.value?.toString());
      } finally {
        one.close();
      }
    }
    expect((await client.range('missing')).value).toBeUndefined();
  });

  it('reports member ids and one leader through Status', async () => {
    const statuses = await Promise.all(cluster.endpoints.map((e) => client.status(e)));
    expect(new Set(statuses.map((s) => s.memberId)).size).toBe(3);
    expect(new Set(statuses.map((s) => s.leaderId)).size).toBe(1);
    expect(statuses[0]!.version).toMatch(/^3\./);
  });

  it('kills the leader and sees a new leader; the killed member restarts and follows', async () => {
    const oldLeader = await cluster.killLeader();
    expect(cluster.isRunning(oldLeader)).toBe(false);
    const newLeader = await cluster.leaderIndex();
    expect(newLeader).not.toBe(oldLeader);
    const put = await client.put('after-failover', 'ok');
    expect(put.revision).toBeGreaterThan(0);
    await cluster.restart(oldLeader);
    expect(cluster.isRunning(oldLeader)).toBe(true);
    expect(await cluster.waitHealthy()).toBeGreaterThanOrEqual(0);
    const restarted = await EtcdClient.create({ endpoints: [cluster.endpoints[oldLeader]!] });
    try {
      expect((await restarted.range('after-failover')).value?.toString()).toBe('ok');
    } finally {
      restarted.close();
    }
  });

  it('fails fast on an error another endpoint cannot fix', async () => {
    const error = await client.put('', 'empty key').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EtcdRequestError);
    expect((error as Error).message).toMatch(/key is not provided/);
  });

  it('drives Puts and Ranges with the load generator without errors', async () => {
    const put = await runLoad(etcdPutOp(client, benchValue(256)), { concurrency: 8, opCount: 200 });
    expect(put.ops).toBe(200);
    expect(put.errors).toBe(0);
    expect(put.p50Ms).toBeGreaterThan(0);
    const read = await runLoad(etcdRangeOp(client, { serializable: false }), { concurrency: 8, opCount: 200 });
    expect(read.errors).toBe(0);
  });

  it('measures a failover round: kill -9 the leader, first acknowledged Put', async () => {
    const failoverClient = await EtcdClient.create({
      endpoints: cluster.endpoints,
      callTimeoutMs: 20_000,
      attemptTimeoutMs: 250,
    });
    try {
      const summary = await measureFailover(etcdFailoverTarget(cluster, failoverClient, benchValue(256)), 1);
      // A new leader needs at least one election timeout; the call deadline bounds the rest.
      expect(summary.median_ms).toBeGreaterThan(cluster.options.electionTimeoutMs * 0.9);
      expect(summary.max_ms).toBeLessThan(20_000);
      expect(cluster.pids.every((pid) => pid !== undefined)).toBe(true);
    } finally {
      failoverClient.close();
    }
  });

  it.skipIf(!isRoot)('isolates the leader without breaking connections; after heal it follows', async () => {
    const leader = await cluster.leaderIndex();
    client.prefer(cluster.endpoints[leader]!);
    await cluster.isolate(leader);
    try {
      // The isolated leader cannot commit: the client's attempts there time out, then it moves on.
      await client.put('during-isolation', 'ok');
      expect(client.preferredEndpoint).not.toBe(cluster.endpoints[leader]);
      expect(await cluster.leaderIndex()).not.toBe(leader);
      expect(cluster.isRunning(leader)).toBe(true);
    } finally {
      await cluster.heal(leader);
    }
    await cluster.waitHealthy();
    const status = await client.status(cluster.endpoints[leader]!, 2_000);
    expect(status.leaderId).not.toBe(status.memberId);
  });

  it('pauses the leader (SIGSTOP) and sees a new leader; resumed, the cluster is healthy', async () => {
    const leader = await cluster.leaderIndex();
    cluster.pause(leader);
    try {
      expect(await cluster.leaderIndex()).not.toBe(leader);
    } finally {
      cluster.resume(leader);
    }
    await cluster.waitHealthy();
  });

  it('stop() kills every member and removes the data dir', async () => {
    const pids = cluster.pids.filter((p): p is number => p !== undefined);
    expect(pids).toHaveLength(3);
    client.close();
    await cluster.stop();
    for (const pid of pids) expect(await isAlive(pid)).toBe(false);
    expect(existsSync(cluster.dir)).toBe(false);
  });
});
