// Goal: the survivors of a crashed leader elect one successor within a tick or
// two even when they notice the crash at different times (src/raft/core/failover.ts):
// a follower that refused a pre-vote by stickiness answers it once it learns its
// leader is gone, and defers to that candidate instead of campaigning by rank;
// a pre-candidate resends its request; crossing requests do not split the vote.
// A follower that merely lost its own link to a live leader changes no term.
// Method: scripted sequences in the in-memory harness (reports are delivered
// one replica at a time, with the network settled in between), counting ticks
// to the new leader and the (pre-)vote requests and terms it took.
import { describe, expect, it } from 'vitest';
import { DEFAULT_RAFT_CONFIG, MessageType, nodeId, Role, type Message } from '../../../src/raft/core/index.js';
import { Cluster } from './harness.js';

const IDS3 = ['n1', 'n2', 'n3'];
const IDS5 = ['n1', 'n2', 'n3', 'n4', 'n5'];
const SEEDS = 20;

/** n1 leads and has committed 'x' everywhere, then 'y' on every replica except `lagging`. */
function clusterWithLaggards(ids: string[], seed: number, lagging: string[]): Cluster {
  const c = new Cluster(ids, { seed });
  c.elect('n1');
  c.propose('n1', 'x');
  c.stabilize();
  c.dropIf = (m) => m.type === MessageType.App && lagging.includes(m.to);
  c.propose('n1', 'y');
  c.stabilize();
  c.dropIf = null;
  return c;
}

function termOf(c: Cluster, id: string): number {
  return c.core(id).status().hardState.term;
}

/** Ticks (all replicas) until a leader other than `old` exists; at most `ticksMax`. */
function ticksToNewLeader(c: Cluster, old: string, ticksMax = 100): number {
  for (let ticks = 0; ticks <= ticksMax; ticks++) {
    const l = c.leader();
    if (l !== null && l.id !== old) return ticks;
    c.tick(1);
  }
  throw new Error(`no new leader within ${ticksMax} ticks`);
}

/** The replicas that asked for real votes in `voteTerm` (one campaign each). */
function candidatesIn(c: Cluster, voteTerm: number): string[] {
  const from = c.sent.filter((m: Message) => m.type === MessageType.Vote && m.term === voteTerm).map((m) => m.from as string);
  return [...new Set(from)].sort();
}

/** The transport of `id` reports the crashed leader n1; the network settles. */
function report(c: Cluster, id: string): void {
  c.core(id).reportUnreachable(nodeId('n1'));
  c.stabilize();
}

describe('failover tie-break: refused pre-votes are answered once the leader is known lost', () => {
  it('3 replicas, A longer: B refused A by stickiness, notices later, and A wins with no tick', () => {
    for (let seed = 1; seed <= SEEDS; seed++) {
      const c = clusterWithLaggards(IDS3, seed, ['n3']);
      const termBefore = termOf(c, 'n2');
      c.crash('n1');
      report(c, 'n2'); // A (rank 0) asks; B still trusts n1 and ignores it by stickiness
      expect(c.core('n2').status().role).toBe(Role.PreCandidate);
      expect(c.core('n3').status()).toMatchObject({ role: Role.Follower, leader: 'n1' });
      expect(c.count(MessageType.PreVoteResp, { from: 'n3', to: 'n2' })).toBe(0);
      report(c, 'n3'); // B learns n1 is gone: it answers A's request instead of campaigning
      expect(ticksToNewLeader(c, 'n1')).toBe(0);
      expect(c.leader()!.id).toBe('n2');
      expect(candidatesIn(c, termBefore + 1)).toEqual(['n2']);
      expect(c.count(MessageType.PreVote, { from: 'n3' })).toBe(0);
      c.tick(2);
      expect(c.get('n3').appliedData).toEqual(['x', 'y']);
      expect(termOf(c, 'n3')).toBe(termBefore + 1);
    }
  });

  it('3 replicas, equal logs: exactly one campaign in the new term, B never campaigns', () => {
    for (let seed = 1; seed <= SEEDS; seed++) {
      const c = clusterWithLaggards(IDS3, seed, []);
      const termBefore = termOf(c, 'n2');
      c.crash('n1');
      report(c, 'n2');
      report(c, 'n3');
      expect(ticksToNewLeader(c, 'n1')).toBe(0);
      c.tick(5); // a rank campaign B had kept would have run by now
      expect(candidatesIn(c, termBefore + 1)).toEqual(['n2']);
      expect(c.count(MessageType.PreVote, { from: 'n3' })).toBe(0);
      expect(c.leader()!.core.status().hardState.term).toBe(termBefore + 1);
    }
  });

  it('5 replicas: the first to ask wins as soon as two more have noticed', () => {
    for (let seed = 1; seed <= SEEDS; seed++) {
      const c = clusterWithLaggards(IDS5, seed, ['n4', 'n5']);
      const termBefore = termOf(c, 'n2');
      c.crash('n1');
      report(c, 'n2');
      report(c, 'n3'); // late grant 1 of 2 needed
      expect(c.core('n2').status().role).toBe(Role.PreCandidate);
      report(c, 'n4'); // late grant 2 of 2: n2 wins the pre-vote and the vote
      expect(ticksToNewLeader(c, 'n1')).toBe(0);
      expect(c.leader()!.id).toBe('n2');
      report(c, 'n5');
      c.tick(5);
      expect(candidatesIn(c, termBefore + 1)).toEqual(['n2']);
      for (const id of ['n3', 'n4', 'n5']) expect(c.count(MessageType.PreVote, { from: id })).toBe(0);
      for (const id of IDS5.slice(1)) expect(c.core(id).status()).toMatchObject({ leader: 'n2', hardState: { term: termBefore + 1 } });
    }
  });

  it('5 replicas, first in line has the shorter log: the next in line wins after one tick, one campaign', () => {
    for (let seed = 1; seed <= SEEDS; seed++) {
      // n2 and n4 miss 'y' (committed on n1, n3, n5).
      const c = clusterWithLaggards(IDS5, seed, ['n2', 'n4']);
      const termBefore = termOf(c, 'n2');
      c.crash('n1');
      report(c, 'n2'); // refused by everyone's stickiness
      report(c, 'n3'); // n2's log is shorter: n3 does not defer, it campaigns by rank
      report(c, 'n4'); // n2's log equals n4's: a late grant, n2 still short of a quorum
      report(c, 'n5');
      expect(ticksToNewLeader(c, 'n1')).toBe(1);
      expect(c.leader()!.id).toBe('n3');
      c.tick(5);
      expect(candidatesIn(c, termBefore + 1)).toEqual(['n3']);
      expect(c.get('n4').appliedData).toEqual(['x', 'y']);
    }
  });

  it('answers a refused pre-vote only within one election timeout; an older one leaves the rank campaign', () => {
    const timeoutTicks = DEFAULT_RAFT_CONFIG.electionTimeoutTicks;
    for (const ageTicks of [timeoutTicks - 2, timeoutTicks]) {
      const c = clusterWithLaggards(IDS3, 1, []);
      c.partition(['n1'], ['n2']); // n2 alone loses n1: it asks n3, which still hears n1
      report(c, 'n2');
      expect(c.count(MessageType.PreVote, { from: 'n2', to: 'n3' })).toBe(1);
      c.heal();
      c.tick(1); // n1's heartbeat brings n2 back: no more requests
      expect(c.core('n2').status()).toMatchObject({ role: Role.Follower, leader: 'n1' });
      c.tick(ageTicks - 1);
      c.crash('n1');
      report(c, 'n3');
      const answered = c.count(MessageType.PreVoteResp, { from: 'n3', to: 'n2' }) === 1;
      expect(answered).toBe(ageTicks < timeoutTicks);
      c.tick(1, ['n3']); // rank 1: campaigns one tick later unless it deferred to n2
      expect(c.core('n3').status().role).toBe(answered ? Role.Follower : Role.PreCandidate);
    }
  });
});

describe('failover tie-break: resends and crossing requests', () => {
  it('a pre-candidate whose request was lost resends it and wins within the resend interval', () => {
    for (let seed = 1; seed <= SEEDS; seed++) {
      const c = clusterWithLaggards(IDS3, seed, ['n3']);
      const termBefore = termOf(c, 'n2');
      c.crash('n1');
      c.dropIf = (m) => m.type === MessageType.PreVote && m.from === 'n2';
      report(c, 'n2'); // the request to n3 is lost
      c.dropIf = null;
      report(c, 'n3'); // n3 knows of no candidate: it campaigns by rank, and n2 refuses its shorter log
      const ticks = ticksToNewLeader(c, 'n1');
      expect(ticks).toBeGreaterThanOrEqual(1);
      expect(ticks).toBeLessThanOrEqual(2); // resend interval: one tick per surviving voter
      expect(c.leader()!.id).toBe('n2');
      expect(candidatesIn(c, termBefore + 1)).toEqual(['n2']);
    }
  });

  it('resends stop when the regular election timeout starts the next campaign', () => {
    const c = clusterWithLaggards(IDS3, 1, []);
    c.partition(['n1'], ['n2']);
    report(c, 'n2');
    const timeoutTicks = c.config(nodeId('n2')).electionTimeoutTicks;
    // Ticks 1..20: the rest of the first campaign (1 request, then a resend every 2 ticks
    // until its randomized timeout of 10-19 ticks) and 1 or 2 regular campaigns (1 request each).
    c.tick(2 * timeoutTicks);
    const requests = c.count(MessageType.PreVote, { from: 'n2', to: 'n3' });
    expect(requests).toBeGreaterThanOrEqual(1 + (timeoutTicks / 2 - 1));
    expect(requests).toBeLessThanOrEqual(1 + timeoutTicks + 1);
    // Then regular campaigns only: one request per 10-19 ticks.
    const afterFirst = c.count(MessageType.PreVote, { from: 'n2', to: 'n3' });
    c.tick(3 * timeoutTicks);
    expect(c.count(MessageType.PreVote, { from: 'n2', to: 'n3' }) - afterFirst).toBeLessThanOrEqual(3);
  });

  it('requests crossing with equal logs: the higher id steps back, the lower id wins at once, one campaign', () => {
    for (let seed = 1; seed <= SEEDS; seed++) {
      const c = clusterWithLaggards(IDS3, seed, []);
      const termBefore = termOf(c, 'n2');
      c.crash('n1');
      c.dropIf = (m) => m.type === MessageType.PreVote;
      report(c, 'n2'); // n2's first request is lost; its resend is due 2 ticks later
      c.dropIf = null;
      c.tick(1, ['n2']);
      report(c, 'n3'); // n3 knows of no candidate: rank 1, it campaigns at its next tick
      // n2 resends and n3 campaigns: each request reaches a pre-candidate with an equal log, and
      // each grants it; n3 steps back (n2 has the lower id), n2 keeps campaigning and counts n3's grant.
      c.tick(1);
      expect(c.leader()?.id).toBe('n2');
      expect(candidatesIn(c, termBefore + 1)).toEqual(['n2']);
      expect(c.count(MessageType.PreVoteResp, { from: 'n3', to: 'n2' })).toBe(1);
      expect(c.sent.filter((m) => m.type === MessageType.PreVoteResp && m.from === 'n2' && m.to === 'n3').map((m) => m.reject)).toEqual([false]);
    }
  });

  it('rank 1 notices first and campaigns; rank 0 notices while that request is in flight: one campaign', () => {
    // The sequence behind 3 of 12 slow kill -9 rounds on real processes (equal logs).
    for (let seed = 1; seed <= SEEDS; seed++) {
      const c = clusterWithLaggards(IDS3, seed, []);
      const termBefore = termOf(c, 'n2');
      c.crash('n1');
      report(c, 'n3');
      c.core('n3').tick(); // its rank campaign
      c.processReady(nodeId('n3')); // the request is on the wire, not delivered
      c.core('n2').reportUnreachable(nodeId('n1')); // n2 campaigns at once: the requests cross
      c.stabilize();
      expect(c.leader()?.id).toBe('n2');
      expect(candidatesIn(c, termBefore + 1)).toEqual(['n2']);
    }
  });

  it('a pre-candidate that grants another pre-candidate steps back from its own pre-vote', () => {
    const c = clusterWithLaggards(IDS3, 1, ['n2']); // n3 has the longer log
    c.crash('n1');
    c.dropIf = (m) => m.type === MessageType.PreVote && m.from === 'n2';
    report(c, 'n2'); // n2 campaigns; its request is lost
    c.dropIf = null;
    report(c, 'n3'); // n3 campaigns by rank at its next tick
    c.core('n3').tick();
    c.processReady(nodeId('n3'));
    const request = c.queue.find((m) => m.type === MessageType.PreVote && m.to === 'n2')!;
    c.queue = c.queue.filter((m) => m !== request);
    expect(c.core('n2').status().role).toBe(Role.PreCandidate);
    c.deliver(request);
    // n2 granted n3 and no longer counts grants for itself.
    expect(c.core('n2').status()).toMatchObject({ role: Role.Follower, leader: null });
    c.stabilize();
    expect(c.leader()?.id).toBe('n3');
  });

  it('an unreported follower timing out while the other resends: one term, for every seed', () => {
    for (let seed = 1; seed <= SEEDS; seed++) {
      // Only n2 is told; n3 times out by itself while n2 resends, sometimes in the same tick.
      const c = clusterWithLaggards(IDS3, seed, []);
      const termBefore = termOf(c, 'n2');
      c.crash('n1');
      report(c, 'n2');
      expect(ticksToNewLeader(c, 'n1')).toBeLessThanOrEqual(2 * c.config(nodeId('n3')).electionTimeoutTicks);
      expect(c.leader()!.core.status().hardState.term).toBe(termBefore + 1);
    }
  });
});

describe('failover tie-break: harmless when the leader is alive', () => {
  for (const ids of [IDS3, IDS5]) {
    it(`${ids.length} replicas: only n2's link to the live leader broke; no term changes in 3 election timeouts`, () => {
      for (let seed = 1; seed <= SEEDS; seed++) {
        const c = clusterWithLaggards(ids, seed, []);
        const termBefore = termOf(c, 'n1');
        c.partition(['n1'], ['n2']);
        report(c, 'n2');
        c.tick(3 * c.config(nodeId('n2')).electionTimeoutTicks);
        expect(c.count(MessageType.PreVote, { from: 'n2' })).toBeGreaterThan(ids.length - 1); // resent
        expect(c.sent.filter((m) => m.type === MessageType.Vote && m.term > termBefore)).toEqual([]);
        for (const id of ids) expect(termOf(c, id)).toBe(termBefore);
        expect(c.leader()!.id).toBe('n1');
        c.propose('n1', 'z');
        c.tick(1);
        expect(c.get(ids[ids.length - 1]!).appliedData).toEqual(['x', 'y', 'z']);
        c.heal();
        c.tick(2);
        expect(c.core('n2').status()).toMatchObject({ role: Role.Follower, leader: 'n1', hardState: { term: termBefore } });
      }
    });
  }

  it('a learner told its leader is gone forgets it but never campaigns', () => {
    const c = new Cluster(['n1', 'n2', 'n3', 'n4'], { bootstrap: { voters: IDS3.map(nodeId), learners: [nodeId('n4')] } });
    c.elect('n1');
    c.crash('n1');
    c.core('n4').reportUnreachable(nodeId('n1'));
    c.tick(3 * c.config(nodeId('n4')).electionTimeoutTicks, ['n4']);
    expect(c.core('n4').status()).toMatchObject({ role: Role.Follower, leader: null });
    expect(c.count(MessageType.PreVote, { from: 'n4' })).toBe(0);
  });
});
