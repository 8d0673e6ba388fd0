// Goal: a leader commits only entries of its own term by counting replicas
// (§5.4.2, Figure 8); an older-term entry on a majority is not committed until
// an entry of the current term is. Method: replay Figure 8 on 5 replicas with
// crashes and a controlled network, and show that the entry a naive leader
// would have committed is indeed overwritten later.
import { describe, expect, it } from 'vitest';
import { MessageType, Role, type Message } from '../../../src/raft/core/index.js';
import { Cluster } from './harness.js';

const IDS = ['s1', 's2', 's3', 's4', 's5'];

/** Tick `id` alone until it leads (it may need more than one campaign), then settle. */
function electAlone(c: Cluster, id: string): void {
  for (let i = 0; i < 100; i++) {
    c.core(id).tick();
    c.stabilize();
    if (c.core(id).status().role === Role.Leader) return;
  }
  throw new Error(`${id} was not elected`);
}

/** Drop appends carrying entries beyond `index` (as if the leader had crashed before sending them). */
function onlyUpTo(index: number): (m: Message) => Message {
  return (m) => (m.type === MessageType.App ? { ...m, entries: m.entries.filter((e) => e.index <= index) } : m);
}

function setup(): Cluster {
  // No check-quorum: Figure 8 assumes plain Raft elections (stickiness would only slow them).
  const c = new Cluster(IDS, { config: { checkQuorum: false } });
  electAlone(c, 's1'); // term 1, no-op at index 1 committed everywhere
  // (a) s1 appends "A" at index 2 and it reaches s2 only.
  c.isolate('s1', ['s3', 's4', 's5']);
  c.propose('s1', 'A');
  c.stabilize();
  c.heal();
  // (b) s1 crashes; s5 wins with s3, s4 and appends its no-op at index 2 (term 2), which reaches nobody.
  c.crash('s1');
  c.dropIf = (m) => m.from === 's5' && m.type === MessageType.App;
  electAlone(c, 's5');
  c.crash('s5');
  c.dropIf = null;
  // (c) s1 restarts, wins term 3, and replicates index 2 ("A", term 1) to s3 and s4, but not its own no-op at 3.
  c.restart('s1', true);
  c.rewrite = onlyUpTo(2);
  electAlone(c, 's1');
  c.rewrite = null;
  return c;
}

describe('commit rule (Figure 8)', () => {
  it('an older-term entry stored on a majority is not committed by counting', () => {
    const c = setup();
    const s1 = c.core('s1').status();
    expect(s1.hardState.term).toBe(3);
    const holders = IDS.filter((id) => c.get(id).up && c.core(id).status().lastIndex >= 2 && id !== 's5');
    expect(holders.length).toBeGreaterThanOrEqual(3); // a majority of 5 holds "A"
    expect(s1.hardState.commit).toBe(1);
    expect(c.get('s1').appliedData).toEqual([]);
  });

  it('and rightly so: s5 can still win and overwrite it', () => {
    const c = setup();
    c.crash('s1');
    c.restart('s5', true);
    electAlone(c, 's5');
    c.stabilize();
    for (const id of ['s2', 's3', 's4', 's5']) {
      expect(c.get(id).appliedTerms.get(2)).toBe(2);
      expect(c.get(id).appliedData).not.toContain('A');
    }
  });

  it('once an entry of the current term is on a majority, both commit and s5 can no longer win', () => {
    const c = setup();
    c.tick(1, ['s1']); // heartbeat answers let s1 send the rest: its term-3 no-op reaches s2, s3
    expect(c.core('s1').status().hardState.commit).toBe(3);
    for (const id of ['s1', 's2', 's3']) expect(c.get(id).appliedData).toEqual(['A']);
    c.crash('s1');
    c.restart('s5', true);
    for (let i = 0; i < 60; i++) {
      c.core('s5').tick();
      c.stabilize();
    }
    expect(c.core('s5').status().role).not.toBe(Role.Leader);
  });
});
