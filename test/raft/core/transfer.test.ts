// Goal: leadership transfer hands leadership over without an election timeout,
// refuses proposals while under way, catches a lagging transferee up first,
// and is abandoned after an election timeout. Method: harness scenarios.
import { describe, expect, it } from 'vitest';
import { LeadershipTransferError, MessageType, nodeId, NotLeaderError, ProposalDroppedError, Role } from '../../../src/raft/core/index.js';
import { bytes, Cluster } from './harness.js';

const IDS = ['n1', 'n2', 'n3'];

describe('leadership transfer', () => {
  it('hands leadership to a caught-up voter at once, past the others\' stickiness', () => {
    const c = new Cluster(IDS);
    c.elect('n1');
    c.propose('n1', 'a');
    c.stabilize();
    const termBefore = c.core('n1').status().hardState.term;
    c.core('n1').transferLeadership(nodeId('n2'));
    c.stabilize();
    expect(c.count(MessageType.TimeoutNow, { from: 'n1', to: 'n2' })).toBe(1);
    expect(c.core('n2').status().role).toBe(Role.Leader);
    expect(c.core('n2').status().hardState.term).toBe(termBefore + 1);
    expect(c.core('n1').status()).toMatchObject({ role: Role.Follower, leader: 'n2' });
    // The transferee skipped pre-vote.
    expect(c.count(MessageType.PreVote, { from: 'n2' })).toBe(0);
    c.propose('n2', 'b');
    c.stabilize();
    for (const id of IDS) expect(c.get(id).appliedData).toEqual(['a', 'b']);
  });

  it('refuses proposals while the transfer is under way', () => {
    const c = new Cluster(IDS);
    c.elect('n1');
    c.isolate('n2');
    c.propose('n1', 'behind');
    c.stabilize();
    c.core('n1').transferLeadership(nodeId('n2'));
    expect(c.core('n1').status().leadTransferee).toBe('n2');
    let reason: string | null = null;
    try {
      c.propose('n1', 'x');
    } catch (err) {
      expect(err).toBeInstanceOf(ProposalDroppedError);
      reason = (err as ProposalDroppedError).reason;
    }
    expect(reason).toBe('transfer-in-progress');
  });

  it('catches a lagging transferee up before sending TimeoutNow', () => {
    const c = new Cluster(IDS);
    c.elect('n1');
    c.isolate('n3');
    for (let i = 0; i < 20; i++) c.propose('n1', `w${i}`);
    c.stabilize();
    expect(c.core('n3').status().lastIndex).toBe(1);
    c.heal();
    c.core('n1').transferLeadership(nodeId('n3'));
    c.stabilize();
    const timeoutNow = c.sent.findIndex((m) => m.type === MessageType.TimeoutNow);
    const lastApp = c.sent.reduce((last, m, i) => (m.type === MessageType.App && m.to === 'n3' && m.from === 'n1' ? i : last), -1);
    expect(timeoutNow).toBeGreaterThan(lastApp);
    expect(c.core('n3').status().role).toBe(Role.Leader);
    expect(c.get('n3').appliedData).toHaveLength(20);
  });

  it('is abandoned after an election timeout when the transferee does not answer', () => {
    const c = new Cluster(IDS);
    c.elect('n1');
    c.isolate('n2', ['n1']);
    c.propose('n1', 'lag');
    c.stabilize();
    c.core('n1').transferLeadership(nodeId('n2'));
    c.tick(9, ['n1', 'n3']);
    expect(c.core('n1').status().leadTransferee).toBe('n2');
    c.tick(1, ['n1', 'n3']);
    expect(c.core('n1').status().leadTransferee).toBeNull();
    expect(c.core('n1').status().role).toBe(Role.Leader);
    expect(c.propose('n1', 'after')).toMatchObject({ kind: 'appended' });
  });

  it('rejects a transfer to a non-voter, and on a non-leader, with named errors', () => {
    const c = new Cluster(IDS);
    c.elect('n1');
    expect(() => c.core('n1').transferLeadership(nodeId('n9'))).toThrow(LeadershipTransferError);
    expect(() => c.core('n2').transferLeadership(nodeId('n3'))).toThrow(NotLeaderError);
    c.core('n1').transferLeadership(nodeId('n1')); // to itself: nothing to do
    expect(c.core('n1').status()).toMatchObject({ role: Role.Leader, leadTransferee: null });
    void bytes;
  });
});
