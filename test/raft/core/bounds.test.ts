// Goal: every bound on proposals and reads refuses work with a
// ProposalDroppedError naming the reason, never silently and never by growing
// a queue. Method: small bounds in the config, then propose past them.
import { describe, expect, it } from 'vitest';
import { nodeId, ProposalDroppedError } from '../../../src/raft/core/index.js';
import { bytes, Cluster } from './harness.js';

const IDS = ['n1', 'n2', 'n3'];

function reason(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ProposalDroppedError);
    return (err as ProposalDroppedError).reason;
  }
  return 'accepted';
}

describe('proposal bounds', () => {
  it('no-leader: a replica that knows no leader refuses proposals', () => {
    const c = new Cluster(IDS);
    expect(reason(() => c.propose('n1', 'x'))).toBe('no-leader');
  });

  it('entry-too-large: an entry that could never fit one message is refused, on leader and follower', () => {
    const c = new Cluster(IDS, { config: { maxMsgEntriesBytes: 100 } });
    c.elect('n1');
    expect(reason(() => c.propose('n1', 'x'.repeat(101)))).toBe('entry-too-large');
    expect(reason(() => c.propose('n2', 'x'.repeat(101)))).toBe('entry-too-large');
    expect(reason(() => c.propose('n1', 'x'.repeat(100)))).toBe('accepted');
  });

  it('uncommitted-bytes-exceeded: a leader that cannot commit stops accepting past the bound, and resumes after commit', () => {
    const c = new Cluster(IDS, { config: { maxUncommittedEntriesBytes: 1000, maxMsgEntriesBytes: 500 } });
    c.elect('n1');
    c.crash('n2');
    c.crash('n3');
    expect(reason(() => c.propose('n1', 'a'.repeat(400)))).toBe('accepted');
    expect(reason(() => c.propose('n1', 'b'.repeat(400)))).toBe('accepted');
    expect(reason(() => c.propose('n1', 'c'.repeat(400)))).toBe('uncommitted-bytes-exceeded');
    expect(reason(() => c.propose('n1', ''))).toBe('accepted'); // empty entries cost nothing
    c.restart('n2', true);
    c.restart('n3', true);
    c.tick(2);
    expect(c.get('n1').appliedData).toHaveLength(2);
    expect(reason(() => c.propose('n1', 'c'.repeat(400)))).toBe('accepted');
  });

  it('proposal-queue-full: at most maxPendingProposals entries wait to be handed out in a Ready', () => {
    const c = new Cluster(IDS, { config: { maxPendingProposals: 5 } });
    c.elect('n1');
    for (let i = 0; i < 5; i++) expect(reason(() => c.propose('n1', `p${i}`))).toBe('accepted');
    expect(reason(() => c.propose('n1', 'p5'))).toBe('proposal-queue-full');
    c.processReady(nodeId('n1'));
    expect(reason(() => c.propose('n1', 'p5'))).toBe('accepted');
    // A follower's forwarding buffer has the same bound.
    for (let i = 0; i < 5; i++) expect(reason(() => c.propose('n2', `f${i}`))).toBe('accepted');
    expect(reason(() => c.propose('n2', 'f5'))).toBe('proposal-queue-full');
    c.stabilize();
    expect(c.get('n3').appliedData).toHaveLength(11);
  });

  it('read-queue-full: at most maxPendingProposals reads wait for confirmation', () => {
    const c = new Cluster(IDS, { config: { maxPendingProposals: 3 } });
    c.elect('n1');
    for (let i = 0; i < 3; i++) c.core('n1').readIndex(bytes(`r${i}`));
    expect(reason(() => c.core('n1').readIndex(bytes('r3')))).toBe('read-queue-full');
    c.stabilize();
    expect(c.get('n1').readStates).toHaveLength(3);
    expect(reason(() => c.core('n1').readIndex(bytes('r3')))).toBe('accepted');
  });

  it('a leader drops forwarded proposals beyond its bounds instead of queueing them', () => {
    const c = new Cluster(IDS, { config: { maxUncommittedEntriesBytes: 1000, maxMsgEntriesBytes: 500 } });
    c.elect('n1');
    c.crash('n3');
    c.dropIf = (m) => m.from === 'n1' && m.to === 'n2' && m.type === 'App';
    for (let i = 0; i < 4; i++) c.propose('n2', `${i}`.repeat(400));
    c.stabilize();
    expect(c.core('n1').status().lastIndex).toBe(3); // no-op + two 400-byte entries; the rest were dropped
  });
});
