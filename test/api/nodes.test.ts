// Goal: the Nodes service registers, reads, pages, labels, taints, sets the
// status of and deletes nodes, and refuses bad requests with the gRPC code
// issue 3 names (INVALID_ARGUMENT naming the field, NOT_FOUND,
// FAILED_PRECONDITION for an expected-revision mismatch).
// Method: a real 1-replica cluster in process (gRPC on 127.0.0.1:0, WAL and
// LevelDB in a temp dir) driven through RegistryClient.
import { status as Code } from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RegistryClient } from '../../src/client/registry.js';
import { AcceleratorKind, NodeCondition, TaintEffect } from '../../src/gen/edgernetes/api/v1/nodes.js';
import type { Replica } from '../../src/server/replica.js';
import { clientOf, expectFailure, expectInvalid, registration, startSingle, stopAll } from './helpers.js';

describe('Nodes service', () => {
  let replica: Replica;
  let client: RegistryClient;

  beforeEach(async () => {
    replica = await startSingle();
    client = clientOf(replica);
  });
  afterEach(stopAll);

  it('registers a node, then updates it on a second registration, keeping admin-owned labels', async () => {
    const first = await client.registerNode(registration('edge-1'));
    expect(first.created).toBe(true);
    expect(first.modRevision).toBe(first.header?.revision);
    await client.setNodeLabels('edge-1', { zone: 'roof', tier: 'gold' });

    const again = await client.registerNode(registration('edge-1', { address: '10.9.9.9:7070', labels: { ignored: 'yes' } }));
    expect(again.created).toBe(false);
    const { node } = await client.getNode('edge-1');
    expect(node).toMatchObject({
      id: 'edge-1',
      name: 'edge-1', // defaulted from the id
      address: '10.9.9.9:7070',
      labels: { tier: 'gold', zone: 'roof' },
      status: { condition: NodeCondition.NODE_CONDITION_UNKNOWN, reason: 'Registered' },
      createRevision: first.modRevision,
      modRevision: again.modRevision,
    });
    expect(node?.capabilities).toEqual({
      cpu: { model: 'Cortex-A78', arch: 'arm64', cores: 8, flags: ['neon', 'fp16'] },
      memoryBytes: 8 * 2 ** 30,
      accelerators: [{ kind: AcceleratorKind.ACCELERATOR_KIND_NPU, vendor: 'Rockchip', model: 'RK3588 NPU', memoryBytes: 0, tops: 6 }],
      executionProviders: ['CPUExecutionProvider'],
      computeScore: 42.5,
    });
  });

  it('sets status (with the leader clock when time_ms is 0), taints, and deletes', async () => {
    await client.registerNode(registration('edge-2'));
    const before = Date.now();
    const set = await client.setNodeStatus('edge-2', NodeCondition.NODE_CONDITION_READY, 'HeartbeatOk');
    await client.setNodeTaints('edge-2', [{ key: 'gpu', value: 'busy', effect: TaintEffect.TAINT_EFFECT_NO_SCHEDULE }]);
    const { node } = await client.getNode('edge-2', { stale: true });
    expect(node?.status?.condition).toBe(NodeCondition.NODE_CONDITION_READY);
    expect(node?.status?.reason).toBe('HeartbeatOk');
    expect(node?.status?.timeMs).toBeGreaterThanOrEqual(before);
    expect(node?.taints).toEqual([{ key: 'gpu', value: 'busy', effect: TaintEffect.TAINT_EFFECT_NO_SCHEDULE }]);
    expect(node?.modRevision).toBeGreaterThan(set.modRevision);

    const deleted = await client.deleteNode('edge-2', { expectedModRevision: node!.modRevision });
    expect(deleted.assignmentsDeleted).toBe(0);
    await expectFailure(client.getNode('edge-2'), Code.NOT_FOUND, 'node edge-2 does not exist');
  });

  it('pages through nodes by cursor with a bounded page size', async () => {
    const ids = ['a-1', 'a-2', 'a-3', 'a-4', 'a-5'];
    for (const id of ids) await client.registerNode(registration(id));
    const seen: string[] = [];
    let cursor = '';
    let pages = 0;
    do {
      const page = await client.listNodes({ limit: 2, cursor });
      expect(page.nodes.length).toBeLessThanOrEqual(2);
      seen.push(...page.nodes.map((n) => n.id));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor !== '' && pages < 10);
    expect(seen).toEqual(ids);
    expect(pages).toBe(3);
    await expectFailure(client.listNodes({ limit: 100_000 }), Code.INVALID_ARGUMENT, 'limit', '1000');
    await expectFailure(client.listNodes({ cursor: 'not a cursor!' }), Code.INVALID_ARGUMENT, 'cursor');
  });

  it('answers FAILED_PRECONDITION on an expected-revision mismatch, and changes nothing', async () => {
    const reg = await client.registerNode(registration('edge-3'));
    await client.setNodeLabels('edge-3', { a: '1' }, { expectedModRevision: reg.modRevision });
    await expectFailure(
      client.setNodeLabels('edge-3', { a: '2' }, { expectedModRevision: reg.modRevision }),
      Code.FAILED_PRECONDITION,
      `not the expected ${reg.modRevision}`,
    );
    await expectFailure(client.deleteNode('edge-3', { expectedModRevision: reg.modRevision }), Code.FAILED_PRECONDITION);
    expect((await client.getNode('edge-3')).node?.labels).toEqual({ a: '1' });
  });

  it('answers NOT_FOUND for writes to a node that does not exist', async () => {
    await expectFailure(client.setNodeStatus('ghost', NodeCondition.NODE_CONDITION_READY, ''), Code.NOT_FOUND, 'node ghost does not exist');
    await expectFailure(client.setNodeLabels('ghost', {}), Code.NOT_FOUND, 'ghost');
    await expectFailure(client.deleteNode('ghost'), Code.NOT_FOUND, 'ghost');
  });

  it('names the offending field in every INVALID_ARGUMENT', async () => {
    const caps = registration('x').capabilities!;
    const withCaps = (id: string, patch: object) => ({ ...registration(id), capabilities: { ...caps, ...patch } });
    const npu = { vendor: 'v', model: 'm' };
    await expectInvalid([
      ['node.capabilities.cpu.cores', () => client.registerNode(withCaps('bad-1', { cpu: { ...caps.cpu, cores: 0 } }))],
      ['node.address', () => client.registerNode({ ...registration('bad-2'), address: 'no-port' })],
      ['node.capabilities', () => client.registerNode({ ...registration('bad-3'), capabilities: undefined })],
      ['node.capabilities.accelerators[0].kind', () => client.registerNode(withCaps('bad-4', { accelerators: [{ ...npu, kind: 99 }] }))],
      ['node.capabilities.accelerators[0].kind', () => client.registerNode(withCaps('bad-5', { accelerators: [npu] }))],
      ['node.capabilities.computeScore', () => client.registerNode(withCaps('bad-6', { computeScore: Number.NaN }))],
      ['node.id', () => client.registerNode({ ...registration(''), id: '' })],
      ['labels.bad key!', () => client.setNodeLabels('edge', { 'bad key!': 'v' })],
      ['taints[0].effect', () => client.setNodeTaints('edge', [{ key: 'k', value: 'v' }])],
      ['condition', () => client.setNodeStatus('edge', NodeCondition.NODE_CONDITION_UNSPECIFIED, '')],
      ['reason', () => client.setNodeStatus('edge', NodeCondition.NODE_CONDITION_READY, 'x'.repeat(2000))],
      ['id', () => client.getNode('bad id with spaces')],
    ]);
    expect((await client.listNodes()).nodes).toEqual([]);
  });
});
