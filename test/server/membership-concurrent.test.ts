// Goal: membership changes asked for at the same moment all succeed — the Raft
// core takes one change at a time, and the second of two concurrent calls used
// to fail with FAILED_PRECONDITION ("the change at N is not applied yet"), so
// of two replicas started together to join, one failed to start. Method: real
// `edgernetes server` processes on 127.0.0.1. Two AddMember calls sent together
// through the leader (learners at addresses nobody listens on: they never catch
// up, so no promotion interferes), then two RemoveMember calls together; then
// two real replicas started at once with --join, which must both be promoted to
// voters. Every wait is bounded.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalCluster, sleep } from '../support/local-cluster.js';

const PROMOTION_WAIT_MS_MAX = 30_000;

describe('concurrent membership changes (real processes)', () => {
  let cluster: LocalCluster;

  beforeAll(async () => {
    cluster = await LocalCluster.start({ replicas: 3 });
  }, 60_000);

  afterAll(async () => {
    await cluster?.destroy();
  }, 30_000);

  /** The members as `address` has applied them (the leader answers a change once it applied it). */
  const memberIds = async (address: string) =>
    (await cluster.client([address]).clusterStatus({ localOnly: false })).members.map((m) => m.id).sort();

  it('adds two members asked for together, then removes both asked for together', async () => {
    const leader = cluster.member(await cluster.leader());
    const client = cluster.client([leader.address], 10_000);
    const [a, b] = await Promise.all([
      client.addMember('x1', '127.0.0.1:1'),
      client.addMember('x2', '127.0.0.1:2'),
    ]);
    expect(a.members.map((m) => m.id)).toContain('x1');
    expect(b.members.map((m) => m.id)).toContain('x2');
    expect(await memberIds(leader.address)).toEqual(['n1', 'n2', 'n3', 'x1', 'x2']);

    const [c, d] = await Promise.all([client.removeMember('x1'), client.removeMember('x2')]);
    expect(c.members.map((m) => m.id)).not.toContain('x1');
    expect(d.members.map((m) => m.id)).not.toContain('x2');
    expect(await memberIds(leader.address)).toEqual(['n1', 'n2', 'n3']);
  }, 30_000);

  it('lets two replicas started at the same moment both join and become voters', async () => {
    await Promise.all([cluster.join('n4'), cluster.join('n5')]);
    const client = cluster.client(cluster.endpoints, 10_000);
    const deadline = Date.now() + PROMOTION_WAIT_MS_MAX;
    const voters = async () => (await client.clusterStatus()).members.filter((m) => !m.learner).map((m) => m.id).sort();
    let current = await voters();
    while (Date.now() < deadline && current.length < 5) {
      expect(cluster.isRunning('n4') && cluster.isRunning('n5')).toBe(true);
      await sleep(200);
      current = await voters();
    }
    expect(current).toEqual(['n1', 'n2', 'n3', 'n4', 'n5']);
  }, 60_000);
});
