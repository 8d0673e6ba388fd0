// Goal: the Deployments service lists assignments by node, by model selector
// and in full (paged), reads one, and moves its state through the allowed
// transitions; it refuses disallowed transitions (FAILED_PRECONDITION),
// unknown assignments (NOT_FOUND) and malformed requests (INVALID_ARGUMENT
// naming the field). Deleting a node or a model removes its assignments.
// Method: a real 1-replica cluster in process; assignments are placed with the
// scheduler's fenced placement op written on the leader (it has no RPC).
import { status as Code } from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RegistryClient } from '../../src/client/registry.js';
import { AssignmentState } from '../../src/gen/edgernetes/api/v1/deployments.js';
import type { Replica } from '../../src/server/replica.js';
import { clientOf, expectFailure, expectInvalid, modelSpec, place, registration, startSingle, stopAll } from './helpers.js';

const yolo1 = { namespace: 'vision', name: 'yolo', version: '1' };
const yolo2 = { namespace: 'vision', name: 'yolo', version: '2' };
const whisper = { namespace: 'audio', name: 'whisper', version: '3' };

describe('Deployments service', () => {
  let replica: Replica;
  let client: RegistryClient;

  beforeEach(async () => {
    replica = await startSingle();
    client = clientOf(replica);
    for (const id of ['edge-a', 'edge-b']) await client.registerNode(registration(id));
    for (const m of [yolo1, yolo2, whisper]) await client.createModel(modelSpec(m.namespace, m.name, m.version));
    await place(replica, [
      { model: yolo1, nodeId: 'edge-a' },
      { model: yolo1, nodeId: 'edge-b' },
      { model: yolo2, nodeId: 'edge-a' },
      { model: whisper, nodeId: 'edge-b' },
    ]);
  });
  afterEach(stopAll);

  it('lists by node, by model selector and in full, paged by cursor', async () => {
    const onA = await client.listAssignments({ nodeId: 'edge-a' });
    expect(onA.assignments.map((a) => `${a.model?.name}/${a.model?.version}`)).toEqual(['yolo/1', 'yolo/2']);
    expect(onA.assignments.every((a) => a.state === AssignmentState.ASSIGNMENT_STATE_PENDING && a.reason === 'Placed')).toBe(true);
    expect(onA.assignments[0]?.placementTerm).toBe(replica.term());

    const ofYolo1 = await client.listAssignments({ model: { namespace: 'vision', name: 'yolo', version: '1' } });
    expect(ofYolo1.assignments.map((a) => a.nodeId)).toEqual(['edge-a', 'edge-b']);
    expect((await client.listAssignments({ model: { namespace: 'vision', name: '', version: '' } })).assignments).toHaveLength(3);

    const all: string[] = [];
    let cursor = '';
    for (let pages = 0; pages < 10; pages++) {
      const page = await client.listAssignments({}, { limit: 3, cursor });
      all.push(...page.assignments.map((a) => `${a.nodeId}:${a.model?.name}`));
      cursor = page.nextCursor;
      if (cursor === '') break;
    }
    expect(all.sort()).toEqual(['edge-a:yolo', 'edge-a:yolo', 'edge-b:whisper', 'edge-b:yolo']);

    const byNodeCursor = (await client.listAssignments({ nodeId: 'edge-a' }, { limit: 1 })).nextCursor;
    await expectFailure(client.listAssignments({ nodeId: 'edge-b' }, { cursor: byNodeCursor }), Code.INVALID_ARGUMENT, 'cursor');
  });

  it('moves an assignment through allowed states and refuses the others', async () => {
    const loading = await client.setAssignmentState(yolo1, 'edge-a', AssignmentState.ASSIGNMENT_STATE_LOADING, 'Downloading');
    const ready = await client.setAssignmentState(yolo1, 'edge-a', AssignmentState.ASSIGNMENT_STATE_READY, 'Serving', {
      timeMs: 1_700_000_000_000,
      expectedModRevision: loading.modRevision,
    });
    const { assignment } = await client.getAssignment(yolo1, 'edge-a');
    expect(assignment).toMatchObject({
      nodeId: 'edge-a',
      model: yolo1,
      state: AssignmentState.ASSIGNMENT_STATE_READY,
      reason: 'Serving',
      timeMs: 1_700_000_000_000,
      modRevision: ready.modRevision,
    });
    await expectFailure(
      client.setAssignmentState(yolo1, 'edge-a', AssignmentState.ASSIGNMENT_STATE_PENDING, ''),
      Code.FAILED_PRECONDITION,
      'cannot go from Ready to Pending',
    );
    await expectFailure(
      client.setAssignmentState(yolo1, 'edge-a', AssignmentState.ASSIGNMENT_STATE_FAILED, 'OOM', { expectedModRevision: loading.modRevision }),
      Code.FAILED_PRECONDITION,
      `not the expected ${loading.modRevision}`,
    );
  });

  it('answers NOT_FOUND for an assignment that does not exist', async () => {
    await expectFailure(client.getAssignment(whisper, 'edge-a'), Code.NOT_FOUND, 'edge-a/audio/whisper/3 does not exist');
    await expectFailure(client.setAssignmentState(whisper, 'edge-a', AssignmentState.ASSIGNMENT_STATE_READY, ''), Code.NOT_FOUND, 'is not assigned');
  });

  it('removes assignments with their node or model', async () => {
    expect((await client.deleteNode('edge-b')).assignmentsDeleted).toBe(2);
    expect((await client.deleteModel(yolo2)).assignmentsDeleted).toBe(1);
    const left = await client.listAssignments();
    expect(left.assignments.map((a) => `${a.nodeId}:${a.model?.version}`)).toEqual(['edge-a:1']);
  });

  it('names the offending field in every INVALID_ARGUMENT', async () => {
    await expectInvalid([
      ['state', () => client.setAssignmentState(yolo1, 'edge-a', AssignmentState.ASSIGNMENT_STATE_UNSPECIFIED, '')],
      ['state', () => client.setAssignmentState(yolo1, 'edge-a', 17 as AssignmentState, '')],
      ['nodeId', () => client.setAssignmentState(yolo1, '', AssignmentState.ASSIGNMENT_STATE_READY, '')],
      ['model.version', () => client.getAssignment({ ...yolo1, version: '' }, 'edge-a')],
      ['reason', () => client.setAssignmentState(yolo1, 'edge-a', AssignmentState.ASSIGNMENT_STATE_READY, 'r'.repeat(5000))],
      ['model.namespace', () => client.listAssignments({ model: { namespace: '', name: '', version: '' } })],
      ['model.name', () => client.listAssignments({ model: { namespace: 'vision', name: '', version: '1' } })],
      ['nodeId', () => client.listAssignments({ nodeId: 'a b' })],
      ['limit', () => client.listAssignments({}, { limit: 5000 })],
    ]);
    expect((await client.getAssignment(yolo1, 'edge-a')).assignment?.state).toBe(AssignmentState.ASSIGNMENT_STATE_PENDING);
  });
});
