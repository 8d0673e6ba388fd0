// Goal: the replicated control plane behaves as issue 3 requires, with real
// processes and real disks: election, linearizable reads from every replica,
// kill -9 failover, restart catch-up, a wiped replica rejoining by snapshot,
// runtime membership changes, exactly-once retries and UNAVAILABLE without quorum.
// Method: `edgernetes server` processes on 127.0.0.1 driven through the client
// library; every wait is bounded.
import { credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterUnavailableError } from '../../src/client/errors.js';
import { KVClient, type PutResponse } from '../../src/gen/edgernetes/api/v1/kv.js';
import { LocalCluster } from '../support/local-cluster.js';

const text = (s: string) => new TextEncoder().encode(s);
const str = (b: Uint8Array | undefined) => (b === undefined ? undefined : Buffer.from(b).toString());

describe('3-replica control plane (real processes)', () => {
  let cluster: LocalCluster;

  beforeAll(async () => {
    // Small snapshot interval so the wiped-replica case has to use a snapshot.
    cluster = await LocalCluster.start({ replicas: 3, extraArgs: ['--snapshot-entries', '64'] });
  }, 60_000);

  afterAll(async () => {
    await cluster?.destroy();
  }, 30_000);

  it('elects one leader that every replica agrees on', async () => {
    const leader = await cluster.leader();
    const status = await cluster.client().clusterStatus();
    expect(status.leaderId).toBe(leader);
    expect(status.members.map((m) => m.id).sort()).toEqual(['n1', 'n2', 'n3']);
    expect(status.members.filter((m) => m.role === 'Leader')).toHaveLength(1);
    for (const m of status.members) expect(m.term).toBe(status.term);
  });

  it('serves a write made through any replica linearizably from every other', async () => {
    for (const writer of cluster.members) {
      const key = `through-${writer.id}`;
      await cluster.client([writer.address]).put('default', key, text(writer.id));
      for (const reader of cluster.members) {
        const got = await cluster.client([reader.address]).get('default', key);
        expect(got.found).toBe(true);
        expect(str(got.kv?.value)).toBe(writer.id);
        expect(got.header?.memberId).toBe(reader.id);
      }
    }
  });

  it('refuses a second process on the same data dir with an error naming it', async () => {
    const m = cluster.members[0]!;
    const { spawnSync } = await import('node:child_process');
    const bin = new URL('../../bin/edgernetes.mjs', import.meta.url).pathname;
    const r = spawnSync(process.execPath, [bin, 'server', '--id', m.id, '--data-dir', m.dataDir, '--listen', '127.0.0.1:1', '--peers', cluster.founders()], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(m.dataDir);
    expect(r.stderr.toLowerCase()).toMatch(/lock|in use/);
    // The running replica is unharmed.
    expect(cluster.isRunning(m.id)).toBe(true);
    await cluster.client([m.address]).get('default', 'anything');
  }, 30_000);

  it('on SIGTERM a leader hands leadership over and exits 0, and restarts cleanly', async () => {
    const leader = await cluster.leader();
    const begin = Date.now();
    await cluster.kill(leader, 'SIGTERM');
    expect(cluster.exitCode(leader)).toBe(0);
    const next = await cluster.leader(5_000);
    expect(next).not.toBe(leader);
    expect(Date.now() - begin).toBeLessThan(5_000);
    // It handed leadership over (TimeoutNow to the most caught-up voter) before exiting.
    const log = await readFile(`${cluster.member(leader).dataDir}.log`, 'utf8');
    expect(log).toContain('stopping: handing leadership over');
    await cluster.restart(leader);
    await cluster.client().put('default', 'after-sigterm', text('ok'));
    await cluster.waitApplied(leader, 1); // serving again before the next test talks to it
  }, 30_000);

  it('applies a retried write (same client id and sequence) exactly once', async () => {
    const address = cluster.members[0]!.address;
    const raw = new KVClient(address, credentials.createInsecure());
    const put = () =>
      new Promise<PutResponse>((resolve, reject) =>
        raw.put(
          { header: { clientId: 'retry-test', seq: 1 }, namespace: 'default', key: 'once', value: Buffer.from('v') },
          new Metadata(),
          { deadline: new Date(Date.now() + 5000) },
          (err, res) => (err ? reject(err) : resolve(res)),
        ),
      );
    const first = await put();
    const second = await put();
    raw.close();
    expect(second.modRevision).toBe(first.modRevision);
    expect(second.header?.revision).toBe(first.header?.revision);
    const got = await cluster.client().get('default', 'once');
    expect(got.kv?.version).toBe(1); // one put applied, not two
  });

  it('fails over after kill -9 of the leader, and the killed replica catches up on restart', async () => {
    const oldLeader = await cluster.leader();
    await cluster.kill(oldLeader);
    const survivors = cluster.members.filter((m) => m.id !== oldLeader).map((m) => m.address);
    const client = cluster.client(survivors, 10_000);
    const put = await client.put('default', 'after-failover', text('yes'));
    expect(put.header?.memberId).not.toBe(oldLeader);
    const newLeader = await cluster.leader();
    expect(newLeader).not.toBe(oldLeader);
    for (let i = 0; i < 20; i++) await client.put('default', `burst-${i}`, text(String(i)));
    const target = (await client.clusterStatus()).members.find((m) => m.id === newLeader)!.commitIndex;

    await cluster.restart(oldLeader);
    await cluster.waitApplied(oldLeader, target);
    const got = await cluster.client([cluster.member(oldLeader).address]).get('default', 'burst-19');
    expect(str(got.kv?.value)).toBe('19');
  }, 60_000);

  it('lets a replica whose data dir was wiped rejoin and catch up by snapshot', async () => {
    const leader = await cluster.leader();
    const victim = cluster.members.find((m) => m.id !== leader && cluster.isRunning(m.id))!.id;
    await cluster.kill(victim);
    await cluster.wipe(victim);
    const client = cluster.client(cluster.endpoints);
    // Far more than the snapshot interval (64), so the log the wiped replica needs is compacted.
    for (let i = 0; i < 200; i++) await client.put('default', `bulk-${i}`, text(String(i)));
    await client.snapshot();
    const target = (await client.clusterStatus()).members.find((m) => m.id === leader)!.commitIndex;

    await cluster.restart(victim);
    await cluster.waitApplied(victim, target, 30_000);
    const got = await cluster.client([cluster.member(victim).address]).get('default', 'bulk-0', { stale: true });
    expect(str(got.kv?.value)).toBe('0');
    const last = await cluster.client([cluster.member(victim).address]).get('default', 'bulk-199');
    expect(str(last.kv?.value)).toBe('199');
    // It caught up through a snapshot (the log it needed was compacted), not by replaying entries.
    const log = await readFile(`${cluster.member(victim).dataDir}.log`, 'utf8');
    expect(log).toContain("installed the leader's snapshot");
    // The snapshot named what its data holds: the follower's log starts where its state ends.
    const installed = log.split('\n').filter((line) => line.includes("installed the leader's snapshot")).map((line) => JSON.parse(line));
    expect(installed).toHaveLength(1);
    expect(installed[0].index).toBe(installed[0].applied);
    // Once: the leader hears "finished" only after the install, so its next probe is not refused.
    const leaderLog = await readFile(`${cluster.member(leader).dataDir}.log`, 'utf8');
    const sent = leaderLog.split('\n').filter((line) => line.includes('"sent a snapshot"') && line.includes(`"peer":"${victim}"`));
    expect(sent).toHaveLength(1);
  }, 90_000);

  it('adds a 4th member at runtime (learner, promoted when caught up) and removes one', async () => {
    const n4 = await cluster.join('n4');
    const client = cluster.client(cluster.endpoints, 10_000);
    const deadline = Date.now() + 30_000;
    let members = (await client.clusterStatus()).members;
    while (Date.now() < deadline && !members.some((m) => m.id === 'n4' && !m.learner && m.role === 'Follower')) {
      await new Promise((r) => setTimeout(r, 200));
      members = (await client.clusterStatus()).members;
    }
    expect(members.find((m) => m.id === 'n4')).toMatchObject({ learner: false, role: 'Follower' });
    await client.put('default', 'with-four', text('4'));
    expect(str((await cluster.client([n4.address]).get('default', 'with-four')).kv?.value)).toBe('4');

    const leader = await cluster.leader();
    const removed = cluster.members.find((m) => m.id !== leader && m.id !== 'n4')!.id;
    await client.removeMember(removed);
    // The remaining replicas apply the removal within a heartbeat or two. (The removed
    // replica itself may never hear that its removal committed: the leader stops sending to it.)
    const remaining = cluster.client(cluster.members.filter((m) => m.id !== removed && cluster.isRunning(m.id)).map((m) => m.address));
    let after = (await remaining.clusterStatus()).members.map((m) => m.id).sort();
    for (let i = 0; i < 50 && after.includes(removed); i++) {
      await new Promise((r) => setTimeout(r, 100));
      after = (await remaining.clusterStatus()).members.map((m) => m.id).sort();
    }
    expect(after).not.toContain(removed);
    expect(after).toHaveLength(3);
    await cluster.kill(removed);
    await remaining.put('default', 'after-removal', text('ok'));
  }, 60_000);

  it('answers UNAVAILABLE within the deadline when only one replica of three is alive', async () => {
    const running = cluster.members.filter((m) => cluster.isRunning(m.id));
    const keep = running[0]!;
    for (const m of running.slice(1)) await cluster.kill(m.id);
    const client = cluster.client([keep.address], 2_000);
    const begin = Date.now();
    const err = (await client.put('default', 'no-quorum', text('x')).catch((e: unknown) => e)) as ServiceError;
    const elapsedMs = Date.now() - begin;
    expect(err).toBeInstanceOf(ClusterUnavailableError);
    expect(err.code, err.message).toBe(status.UNAVAILABLE);
    expect(elapsedMs).toBeLessThan(4_000); // bounded by the 2 s deadline, never a hang
  }, 30_000);
});
