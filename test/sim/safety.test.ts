/**
 * Goal: each safety check fires on the situation it guards against, and stays
 * quiet on the legal situations that resemble it (notably: a leader need not
 * hold an old-term entry that was committed only in a LATER term, the case
 * that once made this check cry wolf). Method: feed the SafetyChecker the
 * observations a run would produce, built by hand.
 */
import { describe, expect, it } from 'vitest';
import { MessageType, logIndex, term, type Entry, type Message } from '../../src/raft/core/types.js';
import { DiskImage } from '../../sim/disk.js';
import { SimViolation } from '../../sim/errors.js';
import { SafetyChecker } from '../../sim/safety.js';
import { entries, n } from './fixtures.js';
import { raftMessage } from '../support/raft-messages.js';

const conf = { voters: [n(1), n(2), n(3)], learners: [] };

/** A written log of `batches`, reporting each entry to the checker as replica `replica`. */
function image(checker: SafetyChecker, replica: number, ...batches: Entry[][]): DiskImage {
  const img = new DiskImage();
  for (const batch of batches) {
    img.apply({ kind: 'entries', entries: batch }, (e, h) => checker.onEntryWritten(replica, e, h));
    checker.afterWrite(replica, img, batch);
  }
  return img;
}

function violation(f: () => void): SimViolation {
  try {
    f();
  } catch (error) {
    if (error instanceof SimViolation) return error;
    throw error;
  }
  throw new Error('expected a SimViolation');
}

function response(type: MessageType, from: number, to: number, t: number, index: number): Message {
  return raftMessage({ type, from: n(from), to: n(to), term: term(t), index: logIndex(index) });
}

describe('SafetyChecker', () => {
  it('election safety: a second leader in a term is a violation; the same leader again is not', () => {
    const c = new SafetyChecker(conf);
    c.observeLeader(1, 3);
    c.observeLeader(1, 3);
    c.observeLeader(2, 4);
    expect(violation(() => c.observeLeader(2, 3)).kind).toBe('election-safety');
  });

  it('a replica granting its vote in one term to two candidates is a violation', () => {
    const c = new SafetyChecker(conf);
    c.elections.onVoteCast(3, 5, n(1));
    c.elections.onVoteCast(3, 5, n(1));
    c.elections.onVoteCast(3, 6, n(2));
    expect(violation(() => c.elections.onVoteCast(3, 5, n(2))).kind).toBe('double-vote');
  });

  it('a leader needs grants of its own term from a quorum; grants of an earlier term do not count', () => {
    const c = new SafetyChecker(conf);
    c.elections.onVoteGranted(1, n(2), 4);
    expect(violation(() => c.elections.checkElectionQuorum(1, 5, conf)).kind).toBe('election-quorum');
    c.elections.onVoteGranted(1, n(3), 5);
    c.elections.checkElectionQuorum(1, 5, conf);
    const five = { voters: [n(1), n(2), n(3), n(4), n(5)], learners: [] };
    expect(violation(() => c.elections.checkElectionQuorum(1, 5, five)).kind).toBe('election-quorum');
  });

  it('log matching: the same (index, term) over different prefixes is a violation', () => {
    const c = new SafetyChecker(conf);
    image(c, 1, entries(1, 3, 1));
    image(c, 2, entries(1, 2, 1), entries(3, 3, 1));
    const forged = entries(1, 3, 1);
    forged[1] = { ...forged[1]!, data: new Uint8Array([99]) };
    expect(violation(() => image(c, 3, forged)).kind).toBe('log-matching');
  });

  it('state machine safety: a different entry applied at one index is a violation', () => {
    const c = new SafetyChecker(conf);
    const a = image(c, 1, entries(1, 2, 1));
    c.onCommitIndex(1, 1, 2, a);
    c.onApply(1, 1, a.log.entryAt(1)!, 7, a);
    expect(violation(() => c.onApply(2, 1, a.log.entryAt(1)!, 8, a)).kind).toBe('state-machine-safety');
  });

  it('leader completeness: a new leader lacking an entry committed in an earlier term is a violation', () => {
    const c = new SafetyChecker(conf);
    const old = image(c, 1, entries(1, 3, 1));
    c.observeLeader(1, 1);
    c.onCommitIndex(1, 1, 3, old);
    c.observeLeader(2, 2);
    expect(violation(() => image(c, 2, entries(1, 2, 1), entries(3, 3, 2))).kind).toBe('leader-completeness');
  });

  it('leader completeness: an old-term entry committed only in a later term need not be in a leader between them', () => {
    const c = new SafetyChecker(conf);
    // n1 leads term 2 and appends 3..4 (term 2); n3, elected for term 3, never had them.
    c.observeLeader(3, 3);
    // n2 leads term 4 and commits 1..5 (3..4 of term 2, 5 of term 4) in term 4.
    const l4 = image(c, 2, entries(1, 2, 1), entries(3, 4, 2), entries(5, 5, 4));
    c.observeLeader(2, 4);
    c.onCommitIndex(2, 4, 5, l4);
    // n3's first entry of term 3 arrives only now (it was paused): its log ends at 2. Legal.
    image(c, 3, entries(1, 2, 1), entries(3, 3, 3));
  });

  it('durability: committed entries must stay durable on enough voters that every quorum holds one', () => {
    const c = new SafetyChecker(conf);
    const durable = new Map<number, DiskImage>();
    const holder = image(c, 1, entries(1, 4, 1));
    c.onCommitIndex(1, 1, 4, holder);
    durable.set(1, holder);
    durable.set(2, new DiskImage());
    durable.set(3, new DiskImage());
    expect(violation(() => c.checkDurability((r) => durable.get(r))).kind).toBe('durability');
    durable.set(3, image(c, 3, entries(1, 4, 1)));
    c.checkDurability((r) => durable.get(r));
  });

  it('premature promise: a vote granted or entries acknowledged before they are durable', () => {
    const c = new SafetyChecker(conf);
    const written = new DiskImage();
    written.apply({ kind: 'hard-state', hardState: { term: term(5), vote: n(1), commit: logIndex(0) } });
    written.apply({ kind: 'entries', entries: entries(1, 2, 5) });
    const durable = new DiskImage();
    expect(violation(() => c.checkPromise(2, response(MessageType.VoteResp, 2, 1, 5, 0), durable, written)).kind).toBe('premature-promise');
    expect(violation(() => c.checkPromise(2, response(MessageType.AppResp, 2, 1, 5, 2), durable, written)).kind).toBe('premature-promise');
    const rejection = { ...response(MessageType.VoteResp, 2, 3, 5, 0), reject: true };
    c.checkPromise(2, rejection, durable, written);
    c.checkPromise(2, response(MessageType.VoteResp, 2, 1, 5, 0), written, written);
    c.checkPromise(2, response(MessageType.AppResp, 2, 1, 5, 2), written, written);
  });

  it('commit rule: a leader may advance its commit only to an entry of its own term', () => {
    const c = new SafetyChecker(conf);
    const log = image(c, 1, entries(1, 2, 1), entries(3, 3, 2));
    c.checkLeaderCommit(1, 2, 0, 3, log);
    c.checkLeaderCommit(1, 2, 3, 3, log);
    expect(violation(() => c.checkLeaderCommit(1, 2, 0, 2, log)).kind).toBe('commit-rule');
  });
});
