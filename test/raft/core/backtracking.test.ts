// Goal: a follower with a long divergent log is brought in line in a few round
// trips (conflict term/index hints), not one per entry. Method: start replicas
// from crafted durable logs (hundreds of conflicting entries over several
// terms), elect the leader, and count the follower's rejections.
import { describe, expect, it } from 'vitest';
import { EntryType, logIndex, MessageType, nodeId, term, type Entry } from '../../../src/raft/core/index.js';
import { bytes, Cluster } from './harness.js';

/** Entries from `from` with the given terms (one entry per term value). */
function entries(from: number, terms: number[]): Entry[] {
  return terms.map((t, i) => ({ index: logIndex(from + i), term: term(t), type: EntryType.Normal, data: bytes(`t${t}-${from + i}`) }));
}

function repeat(t: number, n: number): number[] {
  return Array.from({ length: n }, () => t);
}

function seed(c: Cluster, id: string, log: Entry[], hardTerm: number): void {
  const r = c.get(id);
  r.disk.entries = log;
  r.disk.hardState = { term: term(hardTerm), vote: null, commit: logIndex(10) };
  r.appliedIndex = 0;
  c.restart(id);
}

describe('fast backtracking', () => {
  const common = entries(1, repeat(1, 10));

  it('skips a longer divergent tail spanning several terms in one rejection', () => {
    const c = new Cluster(['n1', 'n2', 'n3'], { config: { checkQuorum: false } });
    const leaderLog = [...common, ...entries(11, repeat(4, 500))];
    seed(c, 'n1', leaderLog, 4);
    seed(c, 'n3', leaderLog, 4);
    seed(c, 'n2', [...common, ...entries(11, [...repeat(2, 300), ...repeat(3, 400)])], 4);
    c.elect('n1');
    c.stabilize();
    const rejects = c.sent.filter((m) => m.type === MessageType.AppResp && m.reject && m.from === 'n2');
    expect(rejects.length).toBeLessThanOrEqual(2);
    const st = c.core('n2').status();
    expect(st.lastIndex).toBe(c.core('n1').status().lastIndex);
    expect(c.get('n2').appliedTerms.get(500)).toBe(4);
  });

  it('finds the end of a shorter follower log in one rejection', () => {
    const c = new Cluster(['n1', 'n2', 'n3'], { config: { checkQuorum: false } });
    const leaderLog = [...common, ...entries(11, repeat(2, 1000))];
    seed(c, 'n1', leaderLog, 2);
    seed(c, 'n3', leaderLog, 2);
    seed(c, 'n2', [...common, ...entries(11, repeat(2, 20))], 2);
    c.elect('n1');
    const rejects = c.sent.filter((m) => m.type === MessageType.AppResp && m.reject && m.from === 'n2');
    expect(rejects).toHaveLength(1);
    expect(rejects[0]!.rejectHint).toBe(30);
    expect(c.core('n2').status().lastIndex).toBe(1011);
  });

  it('handles a follower whose divergent terms interleave with the leader\'s in a few round trips', () => {
    const c = new Cluster(['n1', 'n2', 'n3'], { config: { checkQuorum: false } });
    const leaderLog = [...common, ...entries(11, [...repeat(2, 100), ...repeat(4, 100), ...repeat(6, 100)])];
    seed(c, 'n1', leaderLog, 6);
    seed(c, 'n3', leaderLog, 6);
    seed(c, 'n2', [...common, ...entries(11, [...repeat(2, 150), ...repeat(3, 100), ...repeat(5, 200)])], 6);
    c.elect('n1');
    const rejects = c.sent.filter((m) => m.type === MessageType.AppResp && m.reject && m.from === 'n2');
    expect(rejects.length).toBeGreaterThanOrEqual(1);
    expect(rejects.length).toBeLessThanOrEqual(4);
    const appsToN2 = c.sent.filter((m) => m.type === MessageType.App && m.to === nodeId('n2'));
    expect(appsToN2.length).toBeLessThan(20);
    for (let i = 1; i <= 311; i++) expect(c.get('n2').appliedTerms.get(i)).toBe(c.get('n1').appliedTerms.get(i));
  });
});
