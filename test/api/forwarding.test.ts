// Goal: in a 3-replica cluster any replica accepts any call — writes made
// through a follower are forwarded to the leader, applied once, and readable
// linearizably from every replica; refusals keep their gRPC code across the
// hop; a retried write (same client id and sequence) through a follower is not
// applied twice; a follower serves watches from its own applied state, and the
// client's watch resumes on another replica when its replica stops.
// Method: three real replicas in process on loopback ports, driven through
// RegistryClient pointed at one replica at a time.
import { status as Code } from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AssignmentState } from '../../src/gen/edgernetes/api/v1/deployments.js';
import { NodesClient, NodeRegistration, NodeCondition } from '../../src/gen/edgernetes/api/v1/nodes.js';
import { WatchKind } from '../../src/gen/edgernetes/api/v1/watch.js';
import type { Replica } from '../../src/server/replica.js';
import { WAIT_MS_MAX, clientOf, expectFailure, modelSpec, place, rawUnary, registration, startTrio, stopAll, waitFor } from './helpers.js';

const yolo1 = { namespace: 'vision', name: 'yolo', version: '1' };

describe('3-replica forwarding', () => {
  let leader: Replica;
  let followers: Replica[];

  beforeEach(async () => {
    ({ leader, followers } = await startTrio());
  });
  afterEach(stopAll);

  it('applies writes made through a follower on the leader, readable from every replica', async () => {
    const [f1, f2] = followers as [Replica, Replica];
    const viaFollower = clientOf(f1);
    const registered = await viaFollower.registerNode(registration('edge-1'));
    expect(registered.header?.memberId).toBe(leader.id); // answered by the leader it was forwarded to
    await viaFollower.createModel(modelSpec('vision', 'yolo', '1'));
    await place(leader, [{ model: yolo1, nodeId: 'edge-1' }]);
    const state = await viaFollower.setAssignmentState(yolo1, 'edge-1', AssignmentState.ASSIGNMENT_STATE_LOADING, 'Pulling');

    for (const replica of [leader, f1, f2]) {
      const client = clientOf(replica);
      const { node, header } = await client.getNode('edge-1');
      expect(header?.memberId).toBe(replica.id);
      expect(header?.revision).toBeGreaterThanOrEqual(state.modRevision);
      expect(node?.modRevision).toBe(registered.modRevision);
      const { assignment } = await client.getAssignment(yolo1, 'edge-1');
      expect(assignment?.state).toBe(AssignmentState.ASSIGNMENT_STATE_LOADING);
    }
    // The leader applied the four commands it proposed from what it validated proposing them
    // (the core hands back the very bytes proposed); followers decoded them.
    expect(leader.stateMachine.ownProposalStats).toEqual({ hits: 4, held: 0 });
    for (const follower of followers) expect(follower.stateMachine.ownProposalStats).toEqual({ hits: 0, held: 0 });
  });

  it('keeps the gRPC code of a refusal across the hop (validation refuses before it)', async () => {
    const viaFollower = clientOf(followers[0]!);
    await viaFollower.createModel(modelSpec('vision', 'yolo', '1'));
    await expectFailure(viaFollower.createModel(modelSpec('vision', 'yolo', '1')), Code.ALREADY_EXISTS, 'already exists');
    await expectFailure(viaFollower.setNodeStatus('ghost', NodeCondition.NODE_CONDITION_READY, ''), Code.NOT_FOUND, 'ghost');
    await expectFailure(viaFollower.deleteModel(yolo1, { expectedModRevision: 999_999 }), Code.FAILED_PRECONDITION, 'not the expected');
    await expectFailure(viaFollower.registerNode({ ...registration('edge-1'), address: 'nowhere' }), Code.INVALID_ARGUMENT, 'node.address');
  });

  it('applies a write retried through a follower with the same client id and sequence once', async () => {
    const follower = followers[0]!;
    const request = { header: { clientId: 'agent-edge-7', seq: 1 }, node: NodeRegistration.fromPartial(registration('edge-7')) };
    const first = await rawUnary(follower, NodesClient, (c) => c.register, request);
    const retry = await rawUnary(follower, NodesClient, (c) => c.register, request);
    expect(retry).toEqual(first); // answered from the session, not applied again
    expect(first.created).toBe(true);
    const { node, header } = await clientOf(leader).getNode('edge-7');
    expect(node?.modRevision).toBe(first.modRevision);
    expect(header?.revision).toBe(first.header?.revision);
  });

  it('serves a watch from a follower with changes written through the leader', async () => {
    const follower = followers[1]!;
    const stream = clientOf(follower).watch({ kinds: [WatchKind.WATCH_KIND_NODE] });
    const timer = setTimeout(() => stream.cancel(), WAIT_MS_MAX);
    const iterator = stream[Symbol.asyncIterator]();
    const created = (await iterator.next()).value!;
    expect(created.header?.memberId).toBe(follower.id);
    const put = await clientOf(leader).registerNode(registration('edge-9'));
    const next = (await iterator.next()).value!;
    clearTimeout(timer);
    stream.cancel();
    expect(next.header?.memberId).toBe(follower.id);
    expect(next.events.map((e) => [e.revision, e.key])).toEqual([[put.modRevision, 'edge-9']]);
  });

  it('resumes a client watch on another replica when its replica stops: no gap, no repeat', async () => {
    const [f1, f2] = followers as [Replica, Replica];
    const writer = clientOf(leader);
    const stream = clientOf([f1, f2]).watch({ kinds: [WatchKind.WATCH_KIND_NODE] });
    const timer = setTimeout(() => stream.cancel(), WAIT_MS_MAX);
    const keys: string[] = [];
    const servedBy = new Set<string>();
    const reading = (async () => {
      for await (const response of stream) {
        servedBy.add(response.header!.memberId);
        keys.push(...response.events.map((e) => e.key));
        if (keys.length >= 6) break;
      }
    })();
    await waitFor('the watch to open on the first endpoint', () => f1.stateMachine.status().watchers === 1);
    for (let i = 0; i < 3; i++) await writer.registerNode(registration(`edge-${i}`));
    await waitFor('the first events to arrive', () => keys.length === 3);
    await f1.stop();
    for (let i = 3; i < 6; i++) await writer.registerNode(registration(`edge-${i}`));
    await reading;
    clearTimeout(timer);
    expect(keys).toEqual(['edge-0', 'edge-1', 'edge-2', 'edge-3', 'edge-4', 'edge-5']);
    expect([...servedBy].sort()).toEqual([f1.id, f2.id].sort());
  });
});
