// Goal: a replica restarts from InitialState (hard state, snapshot metadata,
// entries, applied index) with its term and vote, hands out again exactly the
// committed entries above its applied index, and rejects inconsistent initial
// state as a bug. Method: crash/restart in the harness, and createRaft on
// hand-made InitialState.
import { describe, expect, it } from 'vitest';
import {
  AssertionError,
  ConfChangeType,
  createRaft,
  DEFAULT_RAFT_CONFIG,
  encodeConfChange,
  EntryType,
  logIndex,
  MessageType,
  nodeId,
  Role,
  seededRng,
  term,
  type Entry,
  type InitialState,
} from '../../../src/raft/core/index.js';
import { bytes, Cluster } from './harness.js';
import { raftMessage } from '../../support/raft-messages.js';

const IDS = ['n1', 'n2', 'n3'];
const entry = (index: number, t: number, data = `e${index}`, type = EntryType.Normal): Entry => ({
  index: logIndex(index),
  term: term(t),
  type,
  data: type === EntryType.Normal ? bytes(data) : encodeConfChange({ type: ConfChangeType.AddLearner, nodeId: nodeId(data) }),
});

function initial(overrides: Partial<InitialState>): InitialState {
  return {
    hardState: { term: term(2), vote: nodeId('n2'), commit: logIndex(4) },
    snapshot: null,
    entries: [entry(1, 1), entry(2, 1), entry(3, 2), entry(4, 2), entry(5, 2)],
    bootstrapConfState: { voters: IDS.map(nodeId), learners: [] },
    appliedIndex: logIndex(2),
    ...overrides,
  };
}

describe('restart', () => {
  it('keeps term and vote, and hands out committed entries above the applied index only', () => {
    const core = createRaft({ ...DEFAULT_RAFT_CONFIG, id: nodeId('n1') }, initial({}), seededRng(1));
    const st = core.status();
    expect(st).toMatchObject({ role: Role.Follower, leader: null, appliedIndex: 2, firstIndex: 1, lastIndex: 5 });
    expect(st.hardState).toEqual({ term: 2, vote: 'n2', commit: 4 });
    const rd = core.ready();
    expect(rd.committedEntries.map((e) => e.index)).toEqual([3, 4]);
    expect(rd.entries).toHaveLength(0); // already durable
    expect(rd.hardState).toBeNull();
    core.advance();
    expect(core.status().appliedIndex).toBe(4);
  });

  it('a restarted replica keeps its vote: it will not vote for another candidate in the same term', () => {
    const core = createRaft({ ...DEFAULT_RAFT_CONFIG, id: nodeId('n1') }, initial({}), seededRng(1));
    core.step(
      raftMessage({ type: MessageType.Vote, from: nodeId('n3'), to: nodeId('n1'), term: term(2), index: logIndex(9), logTerm: term(2) }),
    );
    const rd = core.ready();
    expect(rd.messagesAfterPersist.map((m) => [m.type, m.reject])).toEqual([[MessageType.VoteResp, true]]);
  });

  it('rebuilds membership up to the applied index; a later committed change applies when handed out again', () => {
    const entries = [entry(1, 1), entry(2, 1, 'n4', EntryType.ConfChange), entry(3, 1), entry(4, 1, 'n5', EntryType.ConfChange)];
    const core = createRaft(
      { ...DEFAULT_RAFT_CONFIG, id: nodeId('n1') },
      initial({ entries, hardState: { term: term(1), vote: null, commit: logIndex(4) }, appliedIndex: logIndex(3) }),
      seededRng(1),
    );
    expect(core.status().confState.learners).toEqual(['n4']);
    const rd = core.ready();
    expect(rd.committedEntries.map((e) => e.index)).toEqual([4]);
    core.advance();
    expect(core.status().confState.learners).toEqual(['n4', 'n5']);
  });

  it('starts from snapshot metadata: log after it, membership from its ConfState', () => {
    const core = createRaft(
      { ...DEFAULT_RAFT_CONFIG, id: nodeId('n1') },
      initial({
        snapshot: { index: logIndex(10), term: term(3), confState: { voters: [nodeId('n1'), nodeId('n2')], learners: [nodeId('n3')] } },
        entries: [entry(11, 3), entry(12, 4)],
        hardState: { term: term(4), vote: null, commit: logIndex(11) },
        appliedIndex: logIndex(0),
      }),
      seededRng(1),
    );
    const st = core.status();
    expect(st).toMatchObject({ firstIndex: 11, lastIndex: 12, appliedIndex: 10 });
    expect(st.confState).toEqual({ voters: ['n1', 'n2'], learners: ['n3'] });
    expect(core.ready().committedEntries.map((e) => e.index)).toEqual([11]);
  });

  it('treats inconsistent initial state as a bug (assertion)', () => {
    const cfg = { ...DEFAULT_RAFT_CONFIG, id: nodeId('n1') };
    expect(() => createRaft(cfg, initial({ entries: [entry(1, 1), entry(3, 1)] }), seededRng(1))).toThrow(AssertionError);
    expect(() => createRaft(cfg, initial({ appliedIndex: logIndex(9) }), seededRng(1))).toThrow(AssertionError);
    expect(() => createRaft(cfg, initial({ hardState: { term: term(2), vote: null, commit: logIndex(9) } }), seededRng(1))).toThrow(AssertionError);
  });

  it('a whole cluster restarts from disk with nothing committed lost', () => {
    const c = new Cluster(IDS);
    c.elect('n1');
    for (let i = 0; i < 5; i++) c.propose('n1', `w${i}`);
    c.stabilize();
    c.compact('n3', 1);
    for (const id of IDS) c.crash(id);
    for (const id of IDS) c.restart(id);
    for (let i = 0; i < 60 && c.leader() === null; i++) c.tick(1);
    const leader = c.leader()!;
    c.propose(leader.id, 'after');
    c.stabilize();
    for (const id of IDS) expect(c.get(id).appliedData).toEqual(['w0', 'w1', 'w2', 'w3', 'w4', 'after']);
  });
});

describe('Ready ordering', () => {
  it('messages produced in a term not yet persisted all wait for the persist', () => {
    const c = new Cluster(IDS);
    c.elect('n1');
    const n2 = c.core('n2');
    n2.step(raftMessage({ type: MessageType.Heartbeat, from: nodeId('n1'), to: nodeId('n2'), term: term(5) }));
    const rd = n2.ready();
    expect(rd.hardState).toMatchObject({ term: 5 });
    expect(rd.mustSync).toBe(true);
    expect(rd.messagesBeforePersist).toHaveLength(0);
    expect(rd.messagesAfterPersist.map((m) => m.type)).toEqual([MessageType.HeartbeatResp]);
    n2.advance();
  });

  it('a commit-only hard state change does not demand a sync', () => {
    const c = new Cluster(IDS);
    c.elect('n1');
    const seen: boolean[] = [];
    c.onReady = (id, rd) => {
      if (id === 'n2' && rd.hardState !== null && rd.entries.length === 0) seen.push(rd.mustSync);
    };
    c.propose('n1', 'x');
    c.tick(1);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((s) => s === false)).toBe(true);
  });
});
