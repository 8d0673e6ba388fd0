// Goal: a follower's election timer restarts only when it hears from a leader
// or grants a vote (Figure 2) — learning a higher term from a candidate whose
// vote it refuses must not postpone its own candidacy. (Without pre-vote, stale
// candidates with fast clocks otherwise keep an up-to-date majority from ever
// campaigning: a livelock the simulator found with seed 1325.)
// Method: a follower with a longer log receives a higher-term vote request from
// a candidate with a shorter log, and we count the ticks until it campaigns.
import { describe, expect, it } from 'vitest';
import {
  createRaft,
  DEFAULT_RAFT_CONFIG,
  EntryType,
  logIndex,
  MessageType,
  nodeId,
  Role,
  seededRng,
  term,
  type Message,
} from '../../../src/raft/core/index.js';
import { raftMessage } from '../../support/raft-messages.js';

const n1 = nodeId('n1');
const n2 = nodeId('n2');
const voters = [n1, n2, nodeId('n3')];

function follower() {
  return createRaft(
    { ...DEFAULT_RAFT_CONFIG, id: n1, preVote: false, checkQuorum: false },
    {
      hardState: { term: term(1), vote: null, commit: logIndex(0) },
      snapshot: null,
      entries: [{ term: term(1), index: logIndex(1), type: EntryType.Normal, data: new Uint8Array([1]) }],
      bootstrapConfState: { voters, learners: [] },
      appliedIndex: logIndex(0),
    },
    seededRng(7),
  );
}

function voteRequest(fromTerm: number, lastIndex: number, lastTerm: number): Message {
  return raftMessage({
    type: MessageType.Vote,
    from: n2,
    to: n1,
    term: term(fromTerm),
    index: logIndex(lastIndex),
    logTerm: term(lastTerm),
  });
}

function ticksUntilCampaign(core: ReturnType<typeof follower>, limit: number): number {
  for (let i = 1; i <= limit; i++) {
    core.tick();
    if (core.status().role !== Role.Follower) return i;
  }
  return Infinity;
}

describe('election timer', () => {
  it('is not restarted by a refused higher-term vote request', () => {
    const reference = follower();
    const full = ticksUntilCampaign(reference, 100);
    expect(full).toBeGreaterThanOrEqual(DEFAULT_RAFT_CONFIG.electionTimeoutTicks);

    const core = follower();
    for (let i = 0; i < full - 1; i++) core.tick();
    core.step(voteRequest(5, 0, 0)); // stale log: refused, but the term moves to 5
    expect(core.status().hardState.term).toBe(5);
    expect(core.status().hardState.vote).toBeNull();
    // The refused request did not restart the timer: the follower campaigns within one more timeout
    // (the timeout is re-drawn with the new term), not a whole timeout after the request.
    expect(ticksUntilCampaign(core, 100)).toBeLessThanOrEqual(DEFAULT_RAFT_CONFIG.electionTimeoutTicks * 2 - (full - 1));
  });

  it('is restarted by a granted vote', () => {
    const core = follower();
    for (let i = 0; i < 5; i++) core.tick();
    core.step(voteRequest(5, 1, 1)); // up-to-date: granted
    expect(core.status().hardState.vote).toBe('n2');
    expect(ticksUntilCampaign(core, 100)).toBeGreaterThanOrEqual(DEFAULT_RAFT_CONFIG.electionTimeoutTicks);
  });
});
