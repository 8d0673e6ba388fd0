// Goal: a leader told that a peer connected to it (peerReachable) heartbeats
// that peer at once, so a restarted follower learns its leader and catches up
// with no tick; anyone else (a follower, or a leader told about itself or a
// non-member) sends nothing. Method: crash and restart a follower in the
// harness, then deliver messages without ticking, with and without the signal.
import { describe, expect, it } from 'vitest';
import { MessageType, nodeId } from '../../../src/raft/core/index.js';
import { Cluster } from './harness.js';

const IDS = ['n1', 'n2', 'n3'];

/** n1 leads; n3 was down for three writes and has just restarted. */
function restartedFollower(seed: number): Cluster {
  const c = new Cluster(IDS, { seed });
  c.elect('n1');
  c.crash('n3');
  for (const data of ['a', 'b', 'c']) c.propose('n1', data);
  c.stabilize();
  c.restart('n3', true);
  return c;
}

describe('peerReachable', () => {
  it('lets a restarted follower learn its leader and catch up without waiting for a heartbeat tick', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const signalled = restartedFollower(seed);
      signalled.core('n1').peerReachable(nodeId('n3'));
      signalled.stabilize();
      expect(signalled.core('n3').status().leader).toBe('n1');
      expect(signalled.get('n3').appliedData).toEqual(['a', 'b', 'c']);

      const silent = restartedFollower(seed);
      silent.stabilize();
      expect(silent.core('n3').status().leader).toBeNull();
      expect(silent.get('n3').appliedData).toEqual([]);
    }
  });

  it('sends nothing from a follower, or for itself or a peer that is not a member', () => {
    const c = restartedFollower(1);
    const heartbeats = () => c.count(MessageType.Heartbeat);
    const before = heartbeats();
    c.core('n2').peerReachable(nodeId('n3'));
    c.core('n1').peerReachable(nodeId('n1'));
    c.core('n1').peerReachable(nodeId('n9'));
    c.stabilize();
    expect(heartbeats()).toBe(before);
    c.core('n1').peerReachable(nodeId('n3'));
    c.stabilize();
    expect(heartbeats()).toBe(before + 1);
    expect(c.count(MessageType.Heartbeat, { from: 'n1', to: 'n3' })).toBeGreaterThan(0);
  });
});
