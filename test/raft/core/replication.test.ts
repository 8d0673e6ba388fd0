// Goal: log replication with a no-op on election, batching, pipelining and
// flow control (bounded in-flight messages and bytes per follower), and the
// leader counting itself toward commit only for what it has persisted.
// Method: drive the harness, holding messages back (not delivering them) to
// observe what the leader keeps in flight.
import { describe, expect, it } from 'vitest';
import { EntryType, MessageType, nodeId, type Message } from '../../../src/raft/core/index.js';
import { bytes, Cluster } from './harness.js';

const IDS = ['n1', 'n2', 'n3'];
const n2 = nodeId('n2');

/** Run n1's Ready cycles without delivering anything; return the messages it sent meanwhile. */
function leaderCycles(c: Cluster): Message[] {
  const before = c.sent.length;
  while (c.processReady(nodeId('n1')));
  return c.sent.slice(before);
}

describe('replication', () => {
  it('a new leader appends a no-op of its term, committed everywhere', () => {
    const c = new Cluster(IDS);
    c.elect('n1');
    for (const id of IDS) {
      const st = c.core(id).status();
      expect(st.hardState.commit).toBe(1);
      expect(c.get(id).appliedTerms.get(1)).toBe(1);
    }
    const app = c.sent.find((m) => m.type === MessageType.App && m.entries.length > 0)!;
    expect(app.entries[0]).toMatchObject({ index: 1, term: 1, type: EntryType.Normal });
    expect(app.entries[0]!.data.length).toBe(0);
  });

  it('pipelines several AppendEntries to a follower before any answer, never more than maxInflightMsgs', () => {
    const c = new Cluster(IDS, { config: { maxInflightMsgs: 4 } });
    c.elect('n1');
    c.queue = [];
    for (let i = 0; i < 10; i++) {
      c.propose('n1', `e${i}`);
      leaderCycles(c);
      const pr = c.core('n1').status().progress!.get(n2)!;
      expect(pr.state).toBe('replicate');
      expect(pr.inflightMsgs).toBeLessThanOrEqual(4);
    }
    const appsToN2 = c.queue.filter((m) => m.type === MessageType.App && m.to === n2);
    expect(appsToN2).toHaveLength(4); // four in flight at once, then the cap holds the rest back
    expect(appsToN2.map((m) => m.entries.length)).toEqual([1, 1, 1, 1]);
    // Once answers flow, the held-back entries go out and everything commits.
    c.stabilize();
    for (const id of IDS) expect(c.get(id).appliedData).toHaveLength(10);
  });

  it('never has more than maxInflightBytes of entries in flight to one follower', () => {
    const c = new Cluster(IDS, { config: { maxInflightBytes: 1000, maxMsgEntriesBytes: 300, maxInflightMsgs: 100 } });
    c.elect('n1');
    c.queue = [];
    for (let i = 0; i < 30; i++) {
      c.propose('n1', 'x'.repeat(90) + String(i).padStart(10, '0'));
      leaderCycles(c);
      const pr = c.core('n1').status().progress!.get(n2)!;
      expect(pr.inflightBytes).toBeLessThanOrEqual(1000);
    }
    const inFlight = c.queue.filter((m) => m.type === MessageType.App && m.to === n2);
    const total = inFlight.reduce((sum, m) => sum + m.entries.reduce((s, e) => s + e.data.length, 0), 0);
    expect(total).toBeLessThanOrEqual(1000);
    expect(total).toBeGreaterThanOrEqual(900);
    c.stabilize();
    for (const id of IDS) expect(c.get(id).appliedData).toHaveLength(30);
  });

  it('batches the proposals made between two Ready cycles into one message per follower, split at maxMsgEntriesBytes', () => {
    const c = new Cluster(IDS, { config: { maxMsgEntriesBytes: 1000 } });
    c.elect('n1');
    c.queue = [];
    for (let i = 0; i < 50; i++) c.propose('n1', 'y'.repeat(100));
    const sent = leaderCycles(c).filter((m) => m.type === MessageType.App && m.to === n2);
    expect(sent.map((m) => m.entries.length)).toEqual([10, 10, 10, 10, 10]);
    for (const m of sent) expect(m.entries.reduce((s, e) => s + e.data.length, 0)).toBeLessThanOrEqual(1000);
  });

  it('always sends an entry larger than the batch budget on its own', () => {
    const c = new Cluster(IDS, { config: { maxMsgEntriesBytes: 1000 } });
    c.elect('n1');
    c.queue = [];
    c.propose('n1', 'a'.repeat(600));
    c.propose('n1', 'b'.repeat(600));
    const sent = leaderCycles(c).filter((m) => m.type === MessageType.App && m.to === n2);
    expect(sent.map((m) => m.entries.length)).toEqual([1, 1]);
  });

  it('the leader counts itself toward commit only after advance() acknowledges its own persistence', () => {
    const c = new Cluster(IDS);
    c.elect('n1');
    c.crash('n3');
    const leader = c.core('n1');
    leader.propose(bytes('w'));
    const rd = leader.ready();
    // The appends may leave before the leader's own fsync (§10.2.1).
    const apps = rd.messagesBeforePersist.filter((m) => m.type === MessageType.App && m.to === n2);
    expect(apps).toHaveLength(1);
    c.core('n2').step(apps[0]!);
    const f = c.core('n2').ready();
    // The follower's acknowledgement promises durability: it waits for its fsync.
    expect(f.messagesBeforePersist).toHaveLength(0);
    expect(f.messagesAfterPersist.map((m) => m.type)).toEqual([MessageType.AppResp]);
    c.core('n2').advance();
    leader.step(f.messagesAfterPersist[0]!);
    // n2 + (unpersisted) n1 would be a quorum of 3, but n1 has not persisted: no commit yet.
    expect(leader.status().hardState.commit).toBe(1);
    leader.advance();
    expect(leader.status().hardState.commit).toBe(2);
  });

  it('a single-voter leader commits on advance(), after persisting', () => {
    const c = new Cluster(['n1']);
    c.elect('n1');
    const leader = c.core('n1');
    const res = leader.propose(bytes('solo'));
    expect(res).toEqual({ kind: 'appended', term: 1, index: 2 });
    const rd = leader.ready();
    expect(rd.entries.map((e) => e.index)).toEqual([2]);
    expect(rd.committedEntries).toHaveLength(0);
    expect(leader.status().hardState.commit).toBe(1);
    leader.advance();
    expect(leader.status().hardState.commit).toBe(2);
    const next = leader.ready();
    expect(next.committedEntries.map((e) => e.index)).toEqual([2]);
    leader.advance();
  });

  it('a follower forwards proposals to the leader, batched into one Prop per Ready', () => {
    const c = new Cluster(IDS);
    c.elect('n1');
    expect(c.propose('n2', 'f1')).toEqual({ kind: 'forwarded', leader: 'n1' });
    c.propose('n2', 'f2');
    c.stabilize();
    expect(c.count(MessageType.Prop, { from: 'n2' })).toBe(1);
    for (const id of IDS) expect(c.get(id).appliedData).toEqual(['f1', 'f2']);
  });

  it('hands out committed entries in bounded batches (maxCommittedEntriesBytesPerReady)', () => {
    const c = new Cluster(['n1'], { config: { maxCommittedEntriesBytesPerReady: 250, maxMsgEntriesBytes: 200, maxUncommittedEntriesBytes: 10_000 } });
    c.elect('n1');
    const leader = c.core('n1');
    for (let i = 0; i < 10; i++) leader.propose(bytes('z'.repeat(100)));
    leader.ready();
    leader.advance();
    const sizes: number[] = [];
    for (let i = 0; i < 20 && leader.hasReady(); i++) {
      const rd = leader.ready();
      sizes.push(rd.committedEntries.length);
      leader.advance();
    }
    expect(sizes).toEqual([2, 2, 2, 2, 2]);
  });

  it('hasReady() is false while a batch is out, and ready() twice without advance() is a bug', () => {
    const c = new Cluster(['n1']);
    c.elect('n1');
    const leader = c.core('n1');
    leader.propose(bytes('a'));
    expect(leader.hasReady()).toBe(true);
    leader.ready();
    leader.propose(bytes('b'));
    expect(leader.hasReady()).toBe(false);
    expect(() => leader.ready()).toThrow(/assertion failed: ready\(\) called again/);
    leader.advance();
    expect(leader.hasReady()).toBe(true);
    expect(leader.ready().entries.map((e) => e.data.length)).toEqual([1]);
    leader.advance();
    expect(() => leader.advance()).toThrow(/assertion failed: advance\(\) without/);
  });
});
