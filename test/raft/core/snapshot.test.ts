// Goal: log compaction keeps snapshot metadata; a follower behind the compacted
// log gets a Snap (metadata; the driver streams the data and reports the
// outcome), installs it from Ready.snapshot, and continues from there; a
// follower within the retained entries gets entries instead; failures retry.
// Method: harness scenarios with one follower cut off while the leader
// compacts.
import { describe, expect, it } from 'vitest';
import { logIndex, MessageType, nodeId, type Ready } from '../../../src/raft/core/index.js';
import { Cluster } from './harness.js';

const IDS = ['n1', 'n2', 'n3'];

function writes(c: Cluster, leader: string, n: number, prefix = 'w'): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    c.propose(leader, `${prefix}${i}`);
    out.push(`${prefix}${i}`);
  }
  c.stabilize();
  return out;
}

describe('compaction and snapshots', () => {
  it('compact() drops entries from memory and keeps the snapshot point', () => {
    const c = new Cluster(IDS);
    c.elect('n1');
    writes(c, 'n1', 10);
    c.compact('n1', 0);
    const st = c.core('n1').status();
    expect(st.firstIndex).toBe(12);
    expect(st.lastIndex).toBe(11);
    c.compact('n2', 4);
    expect(c.core('n2').status().firstIndex).toBe(8);
  });

  it('sends a snapshot to a follower behind the compacted log; it installs it and catches up', () => {
    const c = new Cluster(IDS);
    c.elect('n1');
    const first = writes(c, 'n1', 5, 'a');
    c.isolate('n3');
    const second = writes(c, 'n1', 10, 'b');
    c.compact('n1', 0);
    c.heal();
    c.tick(2);
    expect(c.count(MessageType.Snap, { from: 'n1', to: 'n3' })).toBe(1);
    const snap = c.sent.find((m) => m.type === MessageType.Snap)!;
    expect(snap.snapshot!.metadata).toMatchObject({ index: 16, term: 1 });
    expect(snap.snapshot!.metadata.confState.voters).toEqual(['n1', 'n2', 'n3']);
    const third = writes(c, 'n1', 3, 'c');
    expect(c.get('n3').appliedData).toEqual([...first, ...second, ...third]);
    expect(c.core('n3').status().firstIndex).toBe(17);
    expect(c.core('n1').status().progress!.get(nodeId('n3'))!.state).toBe('replicate');
  });

  it('hands the snapshot out in Ready.snapshot, with the commit and an acknowledgement after persisting', () => {
    const c = new Cluster(IDS);
    c.elect('n1');
    c.isolate('n3');
    writes(c, 'n1', 4);
    c.compact('n1', 0);
    c.heal();
    const seen: Ready[] = [];
    c.onReady = (id, rd) => {
      if (id === 'n3' && rd.snapshot !== null) seen.push(rd);
    };
    c.tick(2);
    expect(seen).toHaveLength(1);
    const rd = seen[0]!;
    expect(rd.snapshot!.metadata.index).toBe(5);
    expect(rd.hardState!.commit).toBe(5);
    expect(rd.mustSync).toBe(true);
    expect(rd.committedEntries).toHaveLength(0);
    expect(rd.messagesAfterPersist.map((m) => [m.type, m.index])).toEqual([[MessageType.AppResp, 5]]);
    expect(c.core('n3').status().appliedIndex).toBe(5);
  });

  it('sends retained entries, not a snapshot, to a follower within retainEntries', () => {
    const c = new Cluster(IDS);
    c.elect('n1');
    writes(c, 'n1', 5);
    c.isolate('n3');
    writes(c, 'n1', 5, 'x');
    c.compact('n1', 8);
    c.heal();
    c.tick(2);
    expect(c.count(MessageType.Snap)).toBe(0);
    expect(c.get('n3').appliedData).toEqual(c.get('n1').appliedData);
  });

  it('retries after a failed snapshot stream', () => {
    const c = new Cluster(IDS);
    c.elect('n1');
    c.isolate('n3');
    writes(c, 'n1', 6);
    c.compact('n1', 0);
    c.heal();
    let failures = 1;
    c.dropIf = (m) => m.type === MessageType.Snap && failures-- > 0; // the harness reports 'failed'
    c.tick(4);
    expect(c.count(MessageType.Snap)).toBe(2);
    expect(c.get('n3').appliedData).toEqual(c.get('n1').appliedData);
  });

  it('a restarted replica resumes from its snapshot and later entries', () => {
    const c = new Cluster(IDS);
    c.elect('n1');
    writes(c, 'n1', 6);
    c.compact('n2', 0);
    writes(c, 'n1', 3, 'later');
    c.crash('n2');
    c.restart('n2');
    const st = c.core('n2').status();
    expect(st.firstIndex).toBe(8);
    expect(st.appliedIndex).toBe(7);
    c.tick(2);
    expect(c.get('n2').appliedData).toEqual(c.get('n1').appliedData);
    expect(() => c.core('n2').compact(logIndex(3), 0)).not.toThrow(); // older than the snapshot: ignored
  });
});

describe('snapshot messages and later compactions', () => {
  it('a Snap queued before a newer compaction names the newer snapshot when handed out', () => {
    const c = new Cluster(IDS);
    c.elect('n1');
    c.isolate('n3');
    writes(c, 'n1', 4);
    c.compact('n1', 0); // snapshot at 5
    writes(c, 'n1', 4, 'more'); // applied 9, not yet compacted
    c.heal();
    const n1 = nodeId('n1');
    const state = (): string => c.core('n1').status().progress!.get(nodeId('n3'))!.state;
    c.core('n1').tick();
    // Run rounds by hand until n1 has queued a Snap for n3 (its progress says so) but not handed it out.
    for (let round = 0; round < 10 && state() !== 'snapshot'; round++) {
      c.processReady(n1);
      c.deliverAll();
      for (const id of ['n2', 'n3']) c.processReady(nodeId(id));
      c.deliverAll();
    }
    expect(state()).toBe('snapshot');
    c.compact('n1', 0); // snapshot at 9 (no-op + 8 writes): the one at 5 is gone
    const seen: number[] = [];
    c.onReady = (id, rd) => {
      for (const m of rd.messagesBeforePersist) if (id === 'n1' && m.type === MessageType.Snap) seen.push(m.snapshot!.metadata.index);
    };
    c.stabilize();
    expect(seen).toEqual([9]);
    expect(c.get('n3').appliedData).toEqual(c.get('n1').appliedData);
  });
});
