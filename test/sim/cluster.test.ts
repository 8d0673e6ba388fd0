/**
 * Goal: the simulated replicas behave as the fault model says: a paused
 * replica neither ticks nor receives while paused and then handles what was
 * queued; a crash is noticed by the others through the transport signal; a
 * crashed replica restarts from its durable state and catches up; an
 * isolated leader is replaced. Method: a 3-replica cluster on the real core,
 * no clients, driven step by step with liveness probes as the only writes.
 */
import { describe, expect, it } from 'vitest';
import { Role } from '../../src/raft/core/types.js';
import { Cluster } from '../../sim/cluster.js';
import { REAL_CORE } from '../../sim/core-module.js';
import { drawParams, DEFAULT_OPTIONS, UNITS_PER_TICK } from '../../sim/params.js';
import { SimRandom } from '../../sim/random.js';
import { applyPartition } from '../../sim/topology.js';
import { TraceKind } from '../../sim/trace-format.js';
import { Trace } from '../../sim/trace.js';
import { Workload } from '../../sim/workload.js';
import { n } from './fixtures.js';

function cluster(seed: number): { c: Cluster; trace: Trace; steps: (k: number) => void } {
  const random = SimRandom.fromSeed(seed, REAL_CORE.seededRng);
  const params = { ...drawParams(DEFAULT_OPTIONS, REAL_CORE.DEFAULT_RAFT_CONFIG, random), raft: REAL_CORE.DEFAULT_RAFT_CONFIG };
  const trace = new Trace(64);
  const workload = new Workload(random.fork(), trace, { clientCount: 0, invokeProbability: 0, opTimeoutUnits: 1 });
  const c = new Cluster(params, { voters: [n(1), n(2), n(3)], learners: [] }, REAL_CORE, random.fork(), trace, workload);
  for (let r = 1; r <= 3; r++) c.addReplica(r);
  let now = 0;
  const steps = (k: number): void => {
    for (let i = 0; i < k; i++) {
      now += UNITS_PER_TICK;
      c.runUntil(now);
      c.checkDurability();
    }
  };
  return { c, trace, steps };
}

function leaderAfter(c: Cluster, steps: (k: number) => void): number {
  for (let i = 0; i < 100 && c.currentLeader() === null; i++) steps(1);
  const leader = c.currentLeader();
  expect(leader).not.toBeNull();
  return leader!.replica;
}

const commitOf = (c: Cluster, r: number): number => c.driver(r).raft!.status().hardState.commit;

describe('simulated cluster', () => {
  it('a paused replica stands still, then handles its queue on resume and catches up', () => {
    const { c, steps } = cluster(3);
    const leader = leaderAfter(c, steps);
    const follower = [1, 2, 3].find((r) => r !== leader)!;
    steps(5);
    c.driver(follower).pause();
    const before = c.driver(follower).raft!.status();
    for (let k = 1; k <= 5; k++) {
      c.driver(leader).proposeProbe(k);
      steps(3);
    }
    const during = c.driver(follower).raft!.status();
    expect(during.hardState).toEqual(before.hardState);
    expect(during.lastIndex).toBe(before.lastIndex);
    expect(commitOf(c, leader)).toBeGreaterThan(before.hardState.commit);
    c.driver(follower).resume();
    steps(5);
    expect(commitOf(c, follower)).toBe(commitOf(c, leader));
  });

  it('a crash is signalled to the others, and the crashed replica restarts from disk and catches up', () => {
    const { c, trace, steps } = cluster(5);
    const leader = leaderAfter(c, steps);
    const victim = [1, 2, 3].find((r) => r !== leader)!;
    c.driver(leader).proposeProbe(1);
    steps(5);
    const signalsBefore = trace.countOf(TraceKind.Unreachable);
    c.crash(victim);
    steps(1);
    expect(trace.countOf(TraceKind.Unreachable)).toBe(signalsBefore + 2);
    c.driver(leader).proposeProbe(2);
    steps(5);
    const restartedFrom = c.driver(victim).disk.durable.log.lastIndex;
    c.start(victim);
    expect(c.driver(victim).raft!.status().lastIndex).toBe(restartedFrom);
    steps(10);
    expect(commitOf(c, victim)).toBe(commitOf(c, leader));
  });

  it('an isolated leader is replaced by the majority, and steps down once it hears of it', () => {
    const { c, steps } = cluster(7);
    const leader = leaderAfter(c, steps);
    applyPartition(c.network.links, { kind: 'isolate', node: leader }, [1, 2, 3]);
    steps(60);
    const replacement = c.currentLeader();
    expect(replacement).not.toBeNull();
    expect(replacement!.replica).not.toBe(leader);
    c.network.links.heal();
    steps(20);
    expect(c.driver(leader).role).toBe(Role.Follower);
    expect(c.driver(leader).term).toBe(replacement!.term);
  });
});
