// Goal: single-server membership changes are safe: add/remove voters, add
// learners (never in a quorum, never campaigning) and promote them, remove the
// leader (it steps down and hands over), one change at a time, none before a
// new leader commits in its term, invalid changes refused with named errors,
// and membership rebuilt on restart. Method: harness clusters with spare
// replicas that start outside the configuration.
import { describe, expect, it } from 'vitest';
import {
  ConfChangeType,
  InvalidConfChangeError,
  MessageType,
  nodeId,
  ProposalDroppedError,
  Role,
  type ConfChange,
} from '../../../src/raft/core/index.js';
import { Cluster } from './harness.js';

const VOTERS = ['n1', 'n2', 'n3'];

function cluster(extra: string[] = ['n4']): Cluster {
  return new Cluster([...VOTERS, ...extra], { bootstrap: { voters: VOTERS.map(nodeId), learners: [] } });
}

const change = (type: ConfChangeType, id: string): ConfChange => ({ type, nodeId: nodeId(id) });

function droppedReason(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof ProposalDroppedError) return err.reason;
    if (err instanceof InvalidConfChangeError) return err.problem;
    throw err;
  }
  return 'accepted';
}

/** Is anything committed by the leader now? Proposes and settles. */
function commits(c: Cluster, leader: string, data: string): boolean {
  c.propose(leader, data);
  c.tick(3);
  return c.get(leader).appliedData.includes(data);
}

describe('membership changes', () => {
  it('adds a voter: it catches up, and the quorum grows', () => {
    const c = cluster();
    c.elect('n1');
    c.propose('n1', 'before');
    c.stabilize();
    expect(c.core('n1').proposeConfChange({ ...change(ConfChangeType.AddVoter, 'n4'), context: new Uint8Array([1]) })).toMatchObject({ kind: 'appended' });
    c.stabilize();
    for (const id of ['n1', 'n2', 'n3', 'n4']) expect(c.core(id).status().confState.voters).toEqual(['n1', 'n2', 'n3', 'n4']);
    expect(c.get('n4').appliedData).toEqual(['before']);
    // 4 voters: a quorum is 3, so n1 + n2 alone cannot commit.
    c.crash('n3');
    c.crash('n4');
    expect(commits(c, 'n1', 'two-of-four')).toBe(false);
  });

  it('removes voters one at a time, shrinking the quorum', () => {
    const c = cluster([]);
    c.elect('n1');
    c.core('n1').proposeConfChange(change(ConfChangeType.RemoveNode, 'n3'));
    c.stabilize();
    expect(c.core('n1').status().confState.voters).toEqual(['n1', 'n2']);
    c.core('n1').proposeConfChange(change(ConfChangeType.RemoveNode, 'n2'));
    c.stabilize();
    expect(c.core('n1').status().confState.voters).toEqual(['n1']);
    c.crash('n2');
    c.crash('n3');
    expect(commits(c, 'n1', 'alone')).toBe(true);
  });

  it('a learner replicates but never counts toward a quorum nor campaigns; promoted when caught up', () => {
    const c = cluster();
    c.elect('n1');
    c.core('n1').proposeConfChange(change(ConfChangeType.AddLearner, 'n4'));
    c.stabilize();
    expect(c.core('n1').status().confState).toEqual({ voters: ['n1', 'n2', 'n3'], learners: ['n4'] });
    c.propose('n1', 'x');
    c.stabilize();
    expect(c.get('n4').appliedData).toEqual(['x']);
    // The driver decides "caught up" from status().
    const pr = c.core('n1').status().progress!.get(nodeId('n4'))!;
    expect(pr.isLearner).toBe(true);
    expect(pr.match).toBe(c.core('n1').status().lastIndex);
    // n1 + learner n4 are not a quorum.
    c.crash('n2');
    c.crash('n3');
    expect(commits(c, 'n1', 'with-learner')).toBe(false);
    c.restart('n2', true);
    c.restart('n3', true);
    c.tick(3);
    // The learner never campaigns, even without a leader.
    c.crash('n1');
    c.tick(60, ['n4']);
    expect(c.count(MessageType.PreVote, { from: 'n4' })).toBe(0);
    c.restart('n1', true);
    for (let i = 0; i < 60 && c.leader() === null; i++) c.tick(1);
    const leader = c.leader()!.id;
    c.core(leader).proposeConfChange(change(ConfChangeType.PromoteLearner, 'n4'));
    c.tick(3);
    expect(c.core('n4').status().confState).toEqual({ voters: ['n1', 'n2', 'n3', 'n4'], learners: [] });
  });

  it('removing the leader: it steps down after the removal commits and hands over without a timeout', () => {
    const c = cluster([]);
    c.elect('n1');
    c.core('n1').proposeConfChange(change(ConfChangeType.RemoveNode, 'n1'));
    c.stabilize();
    expect(c.core('n1').status().role).toBe(Role.Follower);
    const leader = c.leader();
    expect(leader).not.toBeNull();
    expect(['n2', 'n3']).toContain(leader!.id);
    expect(leader!.core.status().confState.voters).toEqual(['n2', 'n3']);
    c.tick(60, ['n1']);
    expect(c.core('n1').status().role).toBe(Role.Follower); // not a voter: never campaigns
    expect(commits(c, leader!.id, 'after-removal')).toBe(true);
  });

  it('one change at a time: the next is refused until the previous is applied', () => {
    const c = cluster(['n4', 'n5']);
    c.elect('n1');
    c.core('n1').proposeConfChange(change(ConfChangeType.AddLearner, 'n4'));
    expect(droppedReason(() => c.core('n1').proposeConfChange(change(ConfChangeType.AddLearner, 'n5')))).toBe('conf-change-pending');
    c.stabilize();
    expect(droppedReason(() => c.core('n1').proposeConfChange(change(ConfChangeType.AddLearner, 'n5')))).toBe('accepted');
  });

  it('a new leader proposes no change before it has committed an entry of its own term', () => {
    const c = cluster();
    c.dropIf = (m) => m.type === MessageType.AppResp;
    c.campaign('n1');
    expect(c.core('n1').status().role).toBe(Role.Leader);
    expect(droppedReason(() => c.core('n1').proposeConfChange(change(ConfChangeType.AddLearner, 'n4')))).toBe('conf-change-pending');
    c.dropIf = null;
    c.tick(1, ['n1']);
    expect(droppedReason(() => c.core('n1').proposeConfChange(change(ConfChangeType.AddLearner, 'n4')))).toBe('accepted');
  });

  it('refuses invalid changes with a named error', () => {
    const c = cluster();
    c.elect('n1');
    expect(droppedReason(() => c.core('n1').proposeConfChange(change(ConfChangeType.AddVoter, 'n2')))).toBe('already-a-voter');
    expect(droppedReason(() => c.core('n1').proposeConfChange(change(ConfChangeType.RemoveNode, 'n9')))).toBe('not-a-member');
    expect(droppedReason(() => c.core('n1').proposeConfChange(change(ConfChangeType.PromoteLearner, 'n2')))).toBe('not-a-learner');
    c.core('n1').proposeConfChange(change(ConfChangeType.AddLearner, 'n4'));
    c.stabilize();
    expect(droppedReason(() => c.core('n1').proposeConfChange(change(ConfChangeType.AddLearner, 'n4')))).toBe('already-a-member');
    expect(droppedReason(() => c.core('n1').proposeConfChange(change(ConfChangeType.AddVoter, 'n4')))).toBe('already-a-member');
  });

  it('a follower forwards a change to the leader', () => {
    const c = cluster();
    c.elect('n1');
    expect(c.core('n2').proposeConfChange(change(ConfChangeType.AddLearner, 'n4'))).toEqual({ kind: 'forwarded', leader: 'n1' });
    c.stabilize();
    expect(c.core('n3').status().confState.learners).toEqual(['n4']);
  });

  it('rebuilds membership on restart from the snapshot and the applied conf changes in the log', () => {
    const c = cluster(['n4', 'n5']);
    c.elect('n1');
    c.core('n1').proposeConfChange(change(ConfChangeType.AddVoter, 'n4'));
    c.stabilize();
    c.compact('n2', 0);
    c.core('n1').proposeConfChange(change(ConfChangeType.AddLearner, 'n5'));
    c.stabilize();
    for (const id of ['n1', 'n2']) {
      c.crash(id);
      c.restart(id, true);
      expect(c.core(id).status().confState).toEqual({ voters: ['n1', 'n2', 'n3', 'n4'], learners: ['n5'] });
    }
  });

  it('a snapshot carries the configuration as of its index, and a follower installing it applies later changes', () => {
    const c = cluster();
    c.elect('n1');
    c.isolate('n3');
    c.propose('n1', 'a');
    c.stabilize();
    const beforeChange = c.get('n1').appliedIndex;
    c.core('n1').proposeConfChange(change(ConfChangeType.AddLearner, 'n4'));
    c.stabilize();
    c.compact('n1', 0, beforeChange);
    c.heal();
    c.tick(3);
    const snap = c.sent.find((m) => m.type === MessageType.Snap && m.to === 'n3')!;
    expect(snap.snapshot!.metadata.index).toBe(beforeChange);
    expect(snap.snapshot!.metadata.confState.learners).toEqual([]);
    expect(c.core('n3').status().confState.learners).toEqual(['n4']);
  });
});

describe('membership changes proposed on a follower', () => {
  it('are checked against the follower\'s configuration before forwarding', () => {
    const c = cluster();
    c.elect('n1');
    expect(droppedReason(() => c.core('n2').proposeConfChange(change(ConfChangeType.AddVoter, 'n3')))).toBe('already-a-voter');
    expect(c.count(MessageType.Prop)).toBe(0);
  });
});
