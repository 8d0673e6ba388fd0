// Goal: a follower never acknowledges entries that a newer leader truncated
// before the acknowledgement left (found by the simulator, seed 433). Method:
// drive one core by hand — a batch in flight, an append from the term-5 leader
// queued behind it, then a conflicting append from a term-7 leader — and look
// at what the next Ready would send.
import { describe, expect, it } from 'vitest';
import {
  createRaft,
  DEFAULT_RAFT_CONFIG,
  EntryType,
  logIndex,
  MessageType,
  nodeId,
  seededRng,
  term,
  type Entry,
  type Message,
} from '../../../src/raft/core/index.js';
import { raftMessage } from '../../support/raft-messages.js';

const n = (i: number) => nodeId(`n${i}`);
const e = (index: number, t: number): Entry => ({ index: logIndex(index), term: term(t), type: EntryType.Normal, data: new Uint8Array([index]) });

function app(from: number, t: number, prevIndex: number, prevTerm: number, entries: Entry[]): Message {
  return raftMessage({
    type: MessageType.App,
    from: n(from),
    to: n(3),
    term: term(t),
    index: logIndex(prevIndex),
    logTerm: term(prevTerm),
    entries,
    commit: logIndex(2),
  });
}

describe('acknowledgements after truncation', () => {
  it('drops a queued acknowledgement of the older term when a newer leader truncates its entries', () => {
    const core = createRaft(
      { ...DEFAULT_RAFT_CONFIG, id: n(3) },
      {
        hardState: { term: term(5), vote: n(1), commit: logIndex(2) },
        snapshot: null,
        entries: [e(1, 5), e(2, 5)],
        bootstrapConfState: { voters: [n(1), n(2), n(3)], learners: [] },
        appliedIndex: logIndex(2),
      },
      seededRng(1),
    );
    for (let i = 0; i < 10 && core.hasReady(); i++) {
      core.ready();
      core.advance();
    }
    core.step(app(1, 5, 2, 5, [e(3, 5)]));
    const a = core.ready(); // batch A ([3@5]) is being fsynced
    expect(a.entries.map((x) => x.index)).toEqual([3]);
    core.step(app(1, 5, 3, 5, [e(4, 5)])); // queued: "I hold 4" once 4 is durable
    core.step(app(2, 7, 2, 5, [e(3, 7)])); // term 7 truncates 3..4
    core.advance();
    const b = core.ready();
    expect(b.entries.map((x) => `${x.index}@${x.term}`)).toEqual(['3@7']);
    const acks = b.messagesAfterPersist.filter((m) => m.type === MessageType.AppResp && !m.reject);
    // Only the truthful acknowledgement of the new leader's entry remains.
    expect(acks.map((m) => ({ to: m.to, term: m.term, index: m.index }))).toEqual([{ to: 'n2', term: 7, index: 3 }]);
  });
});
