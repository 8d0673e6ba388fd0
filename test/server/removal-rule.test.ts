// Goal: the rule by which a replica decides it was removed from the cluster
// (src/raft/node/removal.ts) acts exactly on proof of a committed removal of
// this incarnation: its own applied removal, or one refusal from a peer whose
// configuration is at least as new as ours and excludes us — and on nothing
// else: not a refusal from a lagging peer (a learner being added, a peer
// restarted from older data), not a peer whose transport lags its own
// configuration, not an earlier incarnation's removal replayed by a rejoining
// replica. Method: the pure rule with hand-built configurations, then the
// driver's MembershipTracker fed scripted batches of committed membership
// entries (configurations computed the way the core applies them), and the
// starting configuration index a restarted replica computes. No processes.
import { describe, expect, it } from 'vitest';
import { encodeConfChange } from '../../src/raft/core/confchange-codec.js';
import { applyConfChange, checkConfChange } from '../../src/raft/core/membership.js';
import { ConfChangeType, EntryType, logIndex, nodeId, term, type ConfState, type Entry, type InitialState } from '../../src/raft/core/types.js';
import { MembershipTracker } from '../../src/raft/node/membership-tracker.js';
import { RemovalRule, type OwnConfiguration, type RefusalEvidence } from '../../src/raft/node/removal.js';
import { initialConfIndex } from '../../src/server/bootstrap.js';

const [n1, n2, n3, n4] = ['n1', 'n2', 'n3', 'n4'].map(nodeId) as [ReturnType<typeof nodeId>, ReturnType<typeof nodeId>, ReturnType<typeof nodeId>, ReturnType<typeof nodeId>];
const conf = (voters: string[], learners: string[] = []): ConfState => ({ voters: voters.map(nodeId), learners: learners.map(nodeId) });
const own = (c: ConfState, confIndex: number): OwnConfiguration => ({ confState: c, confIndex: logIndex(confIndex) });
const refusal = (peer: string, appliedIndex: number, membership: RefusalEvidence['membership'], removedAtIndex = 0): RefusalEvidence => ({
  peer: nodeId(peer),
  appliedIndex: logIndex(appliedIndex),
  membership,
  removedAtIndex: logIndex(removedAtIndex),
});

describe('removal rule (pure)', () => {
  const founder = new RemovalRule(n3, logIndex(0));
  const withUs = conf(['n1', 'n2', 'n3']);

  it('(A) own configuration without us, produced in this incarnation: removed', () => {
    expect(founder.removedInOwnConfiguration(own(conf(['n1', 'n2']), 12))).toBe(true);
    expect(founder.removedInOwnConfiguration(own(withUs, 12))).toBe(false);
    expect(founder.removedInOwnConfiguration(own(conf(['n1', 'n2'], ['n3']), 12))).toBe(false); // a learner is a member
  });

  it('(A) an earlier incarnation removed at or before the join index is not us', () => {
    const rejoined = new RemovalRule(n3, logIndex(20));
    expect(rejoined.removedInOwnConfiguration(own(conf(['n1', 'n2']), 15))).toBe(false);
    expect(rejoined.removedInOwnConfiguration(own(conf(['n1', 'n2']), 20))).toBe(false);
    expect(rejoined.removedInOwnConfiguration(own(conf(['n1', 'n2']), 21))).toBe(true);
  });

  it('(B) one refusal from a configuration at least as new as ours that excludes us: removed', () => {
    const verdict = founder.judgeRefusal(own(withUs, 5), refusal('n1', 5, 'none'));
    expect(verdict).toEqual({ removed: true, evidence: { how: 'refused', index: 5, by: 'peer n1' } });
    // The refuser knows the removing entry: that is the index reported.
    expect(founder.judgeRefusal(own(withUs, 5), refusal('n2', 40, 'none', 31))).toEqual({
      removed: true,
      evidence: { how: 'refused', index: 31, by: 'peer n2' },
    });
  });

  it('(B) ignores a refuser with an older configuration (it may not have applied our addition yet)', () => {
    expect(founder.judgeRefusal(own(withUs, 30), refusal('n1', 29, 'none'))).toEqual({ removed: false, reason: 'older-configuration' });
  });

  it('(B) ignores a refuser whose configuration still counts us (its transport lags it)', () => {
    for (const membership of ['voter', 'learner'] as const) {
      expect(founder.judgeRefusal(own(withUs, 5), refusal('n1', 500, membership))).toEqual({ removed: false, reason: 'still-a-member' });
    }
  });

  it('(B) a joining learner is judged from its join index, not from the old entries it replays', () => {
    const joiner = new RemovalRule(n4, logIndex(50));
    const replaying = own(conf(['n1', 'n2', 'n3']), 7); // an old configuration, before n4 existed
    expect(joiner.effectiveConfIndex(replaying)).toBe(50);
    // Every voter that has not applied the AddLearner (index <= 50) refuses n4: none of that counts,
    // however many refuse — a quorum of lagging voters is exactly what must not stop a new member.
    for (const peer of ['n1', 'n2', 'n3']) expect(joiner.judgeRefusal(replaying, refusal(peer, 49, 'none')).removed).toBe(false);
    expect(joiner.judgeRefusal(replaying, refusal('n1', 51, 'none')).removed).toBe(true);
    // A removal the refuser recorded for an earlier incarnation is not reported as ours.
    expect(joiner.judgeRefusal(replaying, refusal('n1', 60, 'none', 12))).toMatchObject({ evidence: { index: 60 } });
  });

  it('rejects impossible inputs (bugs, not refusals)', () => {
    expect(() => founder.judgeRefusal(own(withUs, 1), refusal('n3', 9, 'none'))).toThrow(RangeError);
    expect(() => new RemovalRule(n3, logIndex(-1))).toThrow(RangeError);
  });
});

/** Committed entries and the configuration the core reaches by applying them (skipping changes that do not fit). */
class ScriptedLog {
  conf: ConfState;
  private nextIndex: number;

  constructor(start: ConfState, firstIndex: number) {
    this.conf = start;
    this.nextIndex = firstIndex;
  }

  entries(...changes: ([ConfChangeType, string] | 'write')[]): Entry[] {
    return changes.map((c) => {
      const index = logIndex(this.nextIndex++);
      if (c === 'write') return { term: term(2), index, type: EntryType.Normal, data: new Uint8Array([1]) };
      const change = { type: c[0], nodeId: nodeId(c[1]) };
      if (checkConfChange(this.conf, change) === null) this.conf = applyConfChange(this.conf, change);
      return { term: term(2), index, type: EntryType.ConfChange, data: encodeConfChange(change) };
    });
  }
}

describe('membership tracker (scripted batches)', () => {
  const remove = (id: string): [ConfChangeType, string] => [ConfChangeType.RemoveNode, id];
  const addLearner = (id: string): [ConfChangeType, string] => [ConfChangeType.AddLearner, id];
  const promote = (id: string): [ConfChangeType, string] => [ConfChangeType.PromoteLearner, id];

  it('a follower that applies its own removal learns it at that index, from its leader', () => {
    const log = new ScriptedLog(conf(['n1', 'n2', 'n3']), 4);
    const tracker = new MembershipTracker(new RemovalRule(n3, logIndex(0)), { confState: log.conf, confIndex: logIndex(0), appliedIndex: logIndex(3) });
    expect(tracker.removedAtStart()).toBeNull();
    expect(tracker.afterBatch(log.entries('write', 'write'), null, () => log.conf, n1)).toBeNull();
    const batch = log.entries('write', remove('n3'), 'write');
    expect(tracker.afterBatch(batch, null, () => log.conf, n1)).toEqual({ how: 'applied', index: 7, by: 'leader n1' });
  });

  it('the refusing side states its applied index, our place, and the removal it applied', () => {
    const log = new ScriptedLog(conf(['n1', 'n2', 'n3']), 4);
    const tracker = new MembershipTracker(new RemovalRule(n1, logIndex(0)), { confState: log.conf, confIndex: logIndex(0), appliedIndex: logIndex(3) });
    expect(tracker.afterBatch(log.entries(remove('n3'), addLearner('n4'), 'write'), null, () => log.conf, n1)).toBeNull();
    expect(tracker.statementAbout(n3)).toEqual({ appliedIndex: 6, membership: 'none', removedAtIndex: 4 });
    expect(tracker.statementAbout(n4)).toEqual({ appliedIndex: 6, membership: 'learner', removedAtIndex: 0 });
    expect(tracker.statementAbout(n2)).toMatchObject({ membership: 'voter' });
  });

  it('a wiped replica rejoining replays its earlier removal without stopping, and stops on a later one', () => {
    // The leader applied Remove(n3)@10 and AddLearner(n3)@11, and answered the join at applied index 11.
    const joined = conf(['n1', 'n2'], ['n3']);
    const tracker = new MembershipTracker(new RemovalRule(n3, logIndex(11)), { confState: joined, confIndex: logIndex(0), appliedIndex: logIndex(0) });
    // It catches up from a snapshot at 8 taken when n3 was a voter, then replays 9..12.
    const log = new ScriptedLog(conf(['n1', 'n2', 'n3']), 9);
    const snapshot = { index: logIndex(8), term: term(2), confState: log.conf };
    expect(tracker.afterBatch([], snapshot, () => log.conf, n1)).toBeNull();
    expect(tracker.statementAbout(n1)).toBeNull(); // still before its join index: it vouches for nothing
    expect(tracker.afterBatch(log.entries('write', remove('n3')), null, () => log.conf, n1)).toBeNull(); // @10: the earlier incarnation
    expect(tracker.judgeRefusal(refusal('n2', 10, 'none'))).toEqual({ removed: false, reason: 'older-configuration' });
    expect(tracker.afterBatch(log.entries(addLearner('n3'), promote('n3')), null, () => log.conf, n1)).toBeNull(); // @11, @12
    expect(tracker.statementAbout(n1)).toMatchObject({ appliedIndex: 12, membership: 'voter' });
    expect(tracker.judgeRefusal(refusal('n2', 12, 'voter'))).toEqual({ removed: false, reason: 'still-a-member' });
    expect(tracker.afterBatch(log.entries('write', remove('n3')), null, () => log.conf, n1)).toEqual({ how: 'applied', index: 14, by: 'leader n1' });
  });

  it('a member that never hears of its removal learns it from the first up-to-date refusal', () => {
    const log = new ScriptedLog(conf(['n1', 'n2', 'n3']), 4);
    const tracker = new MembershipTracker(new RemovalRule(n3, logIndex(0)), { confState: log.conf, confIndex: logIndex(0), appliedIndex: logIndex(3) });
    tracker.afterBatch(log.entries(addLearner('n4'), promote('n4')), null, () => log.conf, n1); // ours: config(5)
    expect(tracker.judgeRefusal(refusal('n4', 4, 'none')).removed).toBe(false); // config(4) is older than ours
    expect(tracker.judgeRefusal(refusal('n1', 9, 'none', 8))).toEqual({ removed: true, evidence: { how: 'refused', index: 8, by: 'peer n1' } });
  });

  it('a replica restarted after applying its own removal knows at once', () => {
    const tracker = new MembershipTracker(new RemovalRule(n3, logIndex(0)), { confState: conf(['n1', 'n2']), confIndex: logIndex(9), appliedIndex: logIndex(12) });
    expect(tracker.removedAtStart()).toEqual({ how: 'applied', index: 9, by: 'a configuration change applied before this start' });
  });

  it('reads the core configuration only after batches that can change it', () => {
    const log = new ScriptedLog(conf(['n1', 'n2', 'n3']), 4);
    const tracker = new MembershipTracker(new RemovalRule(n1, logIndex(0)), { confState: log.conf, confIndex: logIndex(0), appliedIndex: logIndex(3) });
    let reads = 0;
    tracker.afterBatch(log.entries('write', 'write', 'write'), null, () => (reads++, log.conf), n1);
    expect(reads).toBe(0);
    expect(tracker.statementAbout(n2)).toMatchObject({ appliedIndex: 6 });
  });

  it('remembers a bounded number of removals, forgetting the oldest', () => {
    const ids = Array.from({ length: 257 }, (_, i) => `m${i}`);
    const log = new ScriptedLog(conf(['n1', ...ids]), 1);
    const tracker = new MembershipTracker(new RemovalRule(n1, logIndex(0)), { confState: log.conf, confIndex: logIndex(0), appliedIndex: logIndex(0) });
    tracker.afterBatch(log.entries(...ids.map(remove)), null, () => log.conf, n1);
    expect(tracker.statementAbout(nodeId('m0'))).toMatchObject({ membership: 'none', removedAtIndex: 0 });
    expect(tracker.statementAbout(nodeId('m1'))).toMatchObject({ membership: 'none', removedAtIndex: 2 });
    expect(tracker.statementAbout(nodeId('m256'))).toMatchObject({ removedAtIndex: 257 });
  });
});

describe('starting configuration index of a restarted replica', () => {
  const entry = (index: number, type: EntryType): Entry => ({ term: term(2), index: logIndex(index), type, data: new Uint8Array(0) });
  const initial = (applied: number, snapshot: number | null, entries: Entry[]): InitialState => ({
    hardState: { term: term(2), vote: null, commit: logIndex(applied) },
    snapshot: snapshot === null ? null : { index: logIndex(snapshot), term: term(2), confState: conf(['n1']) },
    entries,
    bootstrapConfState: conf(['n1']),
    appliedIndex: logIndex(applied),
  });

  it('is the last membership entry the core replays (up to applied), else the snapshot, else 0', () => {
    const log = [entry(11, EntryType.Normal), entry(12, EntryType.ConfChange), entry(13, EntryType.Normal), entry(14, EntryType.ConfChange)];
    expect(initialConfIndex(initial(13, 10, log))).toBe(12);
    expect(initialConfIndex(initial(14, 10, log))).toBe(14);
    expect(initialConfIndex(initial(11, 10, log))).toBe(10);
    expect(initialConfIndex(initial(0, null, []))).toBe(0);
  });
});
