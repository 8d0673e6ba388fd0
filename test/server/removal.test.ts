// Goal: a replica removed from the cluster learns it and stops itself — it
// logs one line naming the removal, fails client calls with
// FAILED_PRECONDITION, and its process exits with the documented code 78 —
// while the remaining members keep serving; and a replica that is refused or
// cut off but still a member does not stop. Method: real `edgernetes server`
// processes on 127.0.0.1 (one cluster that changes shape from test to test):
// a learner joins while a restarted member holds an older configuration and
// is partitioned from its peers (EDGERNETES_TRANSPORT_FAULTS drops what it
// receives from them), so it refuses the newcomer; then that partitioned
// member and a healthy follower are removed; the follower, restarted as is,
// stops again, and wiped, rejoins (replaying its own earlier removal without
// stopping); finally the leader removes itself. Every wait is bounded; the
// time from the removal's commit to the process exit is measured and printed.
import { credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KVClient, type GetResponse } from '../../src/gen/edgernetes/api/v1/kv.js';
import { EXIT_CODE_REMOVED } from '../../src/server/exit-codes.js';
import { TRANSPORT_FAULTS_ENV } from '../../src/server/transport-faults.js';
import { LocalCluster, sleep } from '../support/local-cluster.js';

const text = (s: string) => new TextEncoder().encode(s);
const POLL_MS = 10;
/** A removed replica must be gone within this (measured figures are printed; they are far below). */
const EXIT_WAIT_MS_MAX = 10_000;

describe('a replica removed from the cluster stops itself (real processes)', () => {
  let cluster: LocalCluster;

  beforeAll(async () => {
    cluster = await LocalCluster.start({ replicas: 3 });
  }, 60_000);

  afterAll(async () => {
    await cluster?.destroy();
  }, 30_000);

  const running = () => cluster.members.filter((m) => cluster.isRunning(m.id));
  const logOf = (id: string) => readFile(`${cluster.member(id).dataDir}.log`, 'utf8');

  /** Waits until `id` has exited (polling every POLL_MS, so exit times are measured to about that). */
  async function waitExit(id: string): Promise<void> {
    const begin = performance.now();
    while (cluster.isRunning(id)) {
      if (performance.now() - begin > EXIT_WAIT_MS_MAX) throw new Error(`${id} still running after ${EXIT_WAIT_MS_MAX} ms; logs in ${cluster.root}`);
      await sleep(POLL_MS);
    }
  }

  async function waitLog(id: string, needle: string, timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const log = await logOf(id);
      if (log.includes(needle)) return log;
      if (Date.now() > deadline) throw new Error(`${id}'s log has no ${JSON.stringify(needle)} after ${timeoutMs} ms; logs in ${cluster.root}`);
      await sleep(100);
    }
  }

  async function waitPromoted(id: string): Promise<void> {
    const client = cluster.client(running().map((m) => m.address), 10_000);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const members = (await client.clusterStatus()).members;
      if (members.some((m) => m.id === id && !m.learner && m.role === 'Follower')) return;
      if (Date.now() > deadline) throw new Error(`${id} not promoted within 30 s: ${JSON.stringify(members)}`);
      await sleep(200);
    }
  }

  /** Removes `id` through the members that stay; returns when the leader has applied the removal. */
  async function remove(id: string): Promise<number> {
    const stay = running().filter((m) => m.id !== id).map((m) => m.address);
    await cluster.client(stay, 10_000).removeMember(id);
    return performance.now();
  }

  /** Every remaining member takes a write and reports the same leader and term, without `removed`. */
  async function expectServing(removed: string, count: number): Promise<void> {
    const members = running();
    expect(members.map((m) => m.id)).not.toContain(removed);
    for (const m of members) await cluster.client([m.address], 10_000).put('default', `after-${removed}-via-${m.id}`, text('ok'));
    const status = await cluster.client(members.map((m) => m.address)).clusterStatus();
    expect(status.members.map((m) => m.id).sort()).toEqual(members.map((m) => m.id).sort());
    expect(status.members).toHaveLength(count);
    expect(status.members.filter((m) => m.role === 'Leader')).toHaveLength(1);
    for (const m of status.members) expect(m.term).toBe(status.term);
  }

  let partitioned = '';

  it('does not stop a joining learner refused by a member with an older configuration, nor that cut-off member', async () => {
    const leader = await cluster.leader();
    partitioned = cluster.members.find((m) => m.id !== leader)!.id;
    await cluster.kill(partitioned);
    await cluster.join('n4');
    await waitPromoted('n4');
    // Back with its old configuration (it never heard of n4) and deaf to the founders, so it
    // cannot catch up: it refuses n4's streams as coming from an unknown peer, for as long as
    // this test wants.
    const founders = cluster.members.slice(0, 3).map((m) => m.id).filter((id) => id !== partitioned);
    process.env[TRANSPORT_FAULTS_ENV] = `inbound:${founders.join(',')}:blackhole`;
    try {
      await cluster.restart(partitioned);
    } finally {
      delete process.env[TRANSPORT_FAULTS_ENV];
    }
    const log = await waitLog('n4', `peer ${partitioned} refused our stream; not a removal (older-configuration)`, 20_000);
    expect(log).not.toContain('removed from the cluster');
    await sleep(1_000); // more refusals, more election timeouts of the partitioned member
    expect(cluster.isRunning('n4')).toBe(true);
    expect(cluster.isRunning(partitioned)).toBe(true);
    await cluster.client([cluster.member('n4').address], 10_000).put('default', 'n4-serves', text('yes'));
    expect(await logOf(partitioned)).not.toContain('removed from the cluster');
  }, 90_000);

  it('a member cut off from its peers learns its removal from their refusals, fails its pending calls and exits 78', async () => {
    const victim = cluster.member(partitioned);
    // A linearizable read waits on the cut-off member (it knows no leader) until the removal ends it.
    const raw = new KVClient(victim.address, credentials.createInsecure());
    const pendingRead = new Promise<GetResponse>((resolve, reject) =>
      raw.get({ namespace: 'default', key: 'x' }, new Metadata(), { deadline: new Date(Date.now() + 9_000) }, (err, res) =>
        err ? reject(err) : resolve(res),
      ),
    ).catch((err: unknown) => err as ServiceError);
    await sleep(200);

    const committedAt = await remove(partitioned);
    await waitExit(partitioned);
    const exitMs = performance.now() - committedAt;
    const readError = (await pendingRead) as ServiceError;
    raw.close();
    const log = await logOf(partitioned);
    console.log(`cut-off member ${partitioned}: exited ${Math.round(exitMs)} ms after its removal was applied by the leader`);

    expect(cluster.exitCode(partitioned)).toBe(EXIT_CODE_REMOVED);
    // It never received the removal entry: it learned from a peer's refusal.
    expect(log).toMatch(new RegExp(`removed from the cluster at configuration index \\d+ by peer n\\d; stopping`));
    expect(readError.code).toBe(status.FAILED_PRECONDITION);
    expect(readError.details).toContain(`${partitioned} was removed from the cluster at configuration index`);
    await expectServing(partitioned, 3);
  }, 60_000);

  let healthyVictim = '';

  it('a healthy follower of a 3-replica cluster exits 78 soon after its removal; the other two keep serving', async () => {
    const leader = await cluster.leader();
    // A founding member (restart() below starts it with --peers).
    healthyVictim = running().find((m) => m.id !== leader && cluster.members.indexOf(m) < 3)!.id;
    const committedAt = await remove(healthyVictim);
    await waitExit(healthyVictim);
    const exitMs = performance.now() - committedAt;
    console.log(`healthy follower ${healthyVictim}: exited ${Math.round(exitMs)} ms after its removal was applied by the leader`);
    expect(cluster.exitCode(healthyVictim)).toBe(EXIT_CODE_REMOVED);
    const log = await logOf(healthyVictim);
    const lines = log.split('\n').filter((l) => l.includes('removed from the cluster at configuration index'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/"level":50/); // one error line naming index and who
    expect(lines[0]).toMatch(/removed from the cluster at configuration index \d+ by (leader n\d|peer n\d|the cluster); stopping/);
    expect(log).toContain('replica stopped'); // WAL and state machine closed
    await expectServing(healthyVictim, 2);
  }, 60_000);

  it('restarted as is, a removed replica stops again (78); with its data dir wiped it rejoins and serves', async () => {
    await cluster.restart(healthyVictim);
    await waitExit(healthyVictim);
    expect(cluster.exitCode(healthyVictim)).toBe(EXIT_CODE_REMOVED);
    const removalLines = (await logOf(healthyVictim)).split('removed from the cluster at configuration index').length - 1;
    expect(removalLines).toBe(2);

    // Rejoining replays the log from the start, its own earlier removal included: that is not a removal of this incarnation.
    await cluster.wipe(healthyVictim);
    await cluster.restart(healthyVictim);
    await waitPromoted(healthyVictim);
    await cluster.client([cluster.member(healthyVictim).address], 10_000).put('default', 'rejoined', text('yes'));
    const log = await logOf(healthyVictim);
    expect(log).toContain('rejoining as a learner');
    expect(log.split('removed from the cluster at configuration index').length - 1).toBe(2);
    expect(cluster.isRunning(healthyVictim)).toBe(true);
  }, 90_000);

  it('the leader removing itself hands leadership over, is removed by the new leader, then exits 78', async () => {
    const leader = await cluster.leader();
    const stay = running().filter((m) => m.id !== leader);
    expect(stay).toHaveLength(2);
    const begin = performance.now();
    // Through the leader itself: it is the one asked to remove itself.
    const response = await cluster.client([cluster.member(leader).address], 10_000).removeMember(leader);
    const answeredAt = performance.now();
    expect(response.members.map((m) => m.id).sort()).toEqual(stay.map((m) => m.id).sort());
    // Leadership moved before the removal: a leader is there at once, no election timeout waited out.
    const status = await cluster.client(stay.map((m) => m.address)).clusterStatus({ localOnly: true });
    expect(stay.map((m) => m.id)).toContain(status.leaderId);
    await waitExit(leader);
    console.log(
      `leader ${leader}: removeMember answered in ${Math.round(answeredAt - begin)} ms; ` +
        `exited ${Math.round(performance.now() - answeredAt)} ms later`,
    );
    expect(cluster.exitCode(leader)).toBe(EXIT_CODE_REMOVED);
    const log = await logOf(leader);
    expect(log).toContain(`removing itself: handed leadership to ${status.leaderId}`);
    expect(log).toMatch(/removed from the cluster at configuration index \d+ by (leader n\d|peer n\d|the cluster); stopping/);
    await expectServing(leader, 2);
  }, 90_000);
});
