// Goal: leader election with randomized timeouts, pre-vote, check-quorum and
// leader stickiness behave as specified. Method: drive the in-memory cluster,
// cutting links to create the situations, and observe roles and terms.
import { describe, expect, it } from 'vitest';
import { MessageType, nodeId, Role } from '../../../src/raft/core/index.js';
import { Cluster } from './harness.js';

const IDS = ['n1', 'n2', 'n3'];

describe('election', () => {
  it('a follower campaigns after a randomized timeout in [base, 2*base), drawn from the injected rng', () => {
    const seen = new Set<number>();
    for (let seed = 1; seed <= 40; seed++) {
      const c = new Cluster(IDS, { seed });
      const core = c.core('n1');
      let ticks = 0;
      while (core.status().role === Role.Follower && ticks < 100) {
        core.tick();
        ticks++;
      }
      expect(ticks).toBeGreaterThanOrEqual(10);
      expect(ticks).toBeLessThan(20);
      seen.add(ticks);
      // Same seed, same timeout: determinism.
      const again = new Cluster(IDS, { seed }).core('n1');
      let ticksAgain = 0;
      while (again.status().role === Role.Follower && ticksAgain < 100) {
        again.tick();
        ticksAgain++;
      }
      expect(ticksAgain).toBe(ticks);
    }
    expect(seen.size).toBeGreaterThan(4);
  });

  it('elects exactly one leader when every replica ticks, in term 1 (pre-vote wastes no terms)', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const c = new Cluster(IDS, { seed });
      let ticks = 0;
      while (c.leader() === null && ticks < 60) {
        c.tick(1);
        ticks++;
      }
      const leader = c.leader();
      expect(leader).not.toBeNull();
      const leaders = IDS.filter((id) => c.core(id).status().role === Role.Leader);
      expect(leaders).toHaveLength(1);
      for (const id of IDS) expect(c.core(id).status().leader).toBe(leader!.id);
      expect(leader!.core.status().hardState.term).toBeLessThanOrEqual(2);
    }
  });

  it('sends vote requests and votes only after the new term and vote are persisted', () => {
    const c = new Cluster(IDS);
    const core = c.core('n1');
    for (let i = 0; i < 30 && core.status().role === Role.Follower; i++) core.tick();
    expect(core.status().role).toBe(Role.PreCandidate);
    // Pre-vote changes no durable state; its requests may leave at once.
    let rd = core.ready();
    expect(rd.hardState).toBeNull();
    expect(rd.messagesBeforePersist.map((m) => m.type)).toEqual([MessageType.PreVote, MessageType.PreVote]);
    expect(rd.messagesBeforePersist[0]!.term).toBe(1);
    core.advance();
    for (const m of rd.messagesBeforePersist) c.core(m.to).step(m);
    const answers = ['n2', 'n3'].map((id) => c.core(id).ready());
    for (const a of answers) {
      expect(a.hardState).toBeNull(); // granting a pre-vote changes nothing durable
      c.core(a.messagesBeforePersist[0]!.to).step(a.messagesBeforePersist[0]!);
    }
    ['n2', 'n3'].forEach((id) => c.core(id).advance());
    expect(core.status().role).toBe(Role.Candidate);
    rd = core.ready();
    expect(rd.hardState).toMatchObject({ term: 1, vote: 'n1' });
    expect(rd.mustSync).toBe(true);
    expect(rd.messagesBeforePersist).toHaveLength(0);
    expect(rd.messagesAfterPersist.map((m) => m.type)).toEqual([MessageType.Vote, MessageType.Vote]);
    core.advance();
    c.core('n2').step(rd.messagesAfterPersist[0]!);
    const vote = c.core('n2').ready();
    expect(vote.hardState).toMatchObject({ term: 1, vote: 'n1' });
    expect(vote.messagesAfterPersist.map((m) => [m.type, m.reject])).toEqual([[MessageType.VoteResp, false]]);
    expect(vote.messagesBeforePersist).toHaveLength(0);
  });

  it('pre-vote: an isolated follower keeps its term and does not disrupt the leader when it rejoins', () => {
    const c = new Cluster(IDS);
    c.elect('n1');
    const termBefore = c.core('n1').status().hardState.term;
    c.isolate('n3');
    c.tick(100);
    expect(c.core('n3').status().hardState.term).toBe(termBefore);
    expect(c.core('n3').status().role).toBe(Role.PreCandidate);
    c.heal();
    c.tick(3);
    expect(c.core('n1').status().role).toBe(Role.Leader);
    expect(c.core('n1').status().hardState.term).toBe(termBefore);
    expect(c.core('n3').status()).toMatchObject({ role: Role.Follower, leader: 'n1' });
  });

  it('without pre-vote and check-quorum, the same rejoin disrupts the leader (what pre-vote prevents)', () => {
    const c = new Cluster(IDS, { config: { preVote: false, checkQuorum: false } });
    c.elect('n1');
    const termBefore = c.core('n1').status().hardState.term;
    c.isolate('n3');
    c.tick(100);
    expect(c.core('n3').status().hardState.term).toBeGreaterThan(termBefore + 3);
    c.heal();
    c.tick(25);
    expect(c.core('n1').status().hardState.term).toBeGreaterThan(termBefore + 3);
  });

  it('check-quorum: an isolated leader steps down within two election timeouts; the others elect a new one', () => {
    const c = new Cluster(IDS);
    c.elect('n1');
    c.isolate('n1');
    let ticks = 0;
    while (c.core('n1').status().role === Role.Leader && ticks < 100) {
      c.tick(1);
      ticks++;
    }
    expect(c.core('n1').status().role).toBe(Role.Follower);
    expect(ticks).toBeLessThanOrEqual(20);
    const newLeader = c.leader();
    expect(newLeader).not.toBeNull();
    expect(newLeader!.id).not.toBe('n1');
    // After healing, the old leader learns the new term and follows.
    c.heal();
    c.tick(2);
    expect(c.core('n1').status()).toMatchObject({ role: Role.Follower, leader: newLeader!.id });
  });

  it('without check-quorum an isolated leader stays leader (the behaviour check-quorum removes)', () => {
    const c = new Cluster(IDS, { config: { checkQuorum: false } });
    c.elect('n1');
    c.isolate('n1');
    c.tick(50, ['n1']);
    expect(c.core('n1').status().role).toBe(Role.Leader);
  });

  it('stickiness: a follower that hears from the leader rejects a pre-vote from a peer that lost the leader', () => {
    const c = new Cluster(IDS);
    c.elect('n1');
    // n3 loses only its link with n1; n2 still hears from n1.
    c.partition(['n1'], ['n3']);
    c.tick(60);
    expect(c.core('n1').status().role).toBe(Role.Leader);
    expect(c.core('n2').status().leader).toBe('n1');
    const answersToN3 = c.sent.filter((m) => m.type === MessageType.PreVoteResp && m.from === 'n2' && m.to === 'n3');
    const preVotesToN2 = c.sent.filter((m) => m.type === MessageType.PreVote && m.from === 'n3' && m.to === 'n2');
    expect(preVotesToN2.length).toBeGreaterThan(0);
    // n2 ignores them while its leader is fresh: no grant is ever sent.
    expect(answersToN3.filter((m) => !m.reject)).toHaveLength(0);
    expect(c.core('n3').status().hardState.term).toBe(c.core('n1').status().hardState.term);
  });

  it('a replica that is not a voter never campaigns', () => {
    const c = new Cluster(['n1', 'n2', 'n3', 'n4'], { bootstrap: { voters: IDS.map(nodeId), learners: [nodeId('n4')] } });
    c.tick(100, ['n4']);
    expect(c.core('n4').status().role).toBe(Role.Follower);
    expect(c.count(MessageType.PreVote, { from: 'n4' })).toBe(0);
  });
});
