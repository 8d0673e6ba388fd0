/**
 * Goal: node and model ops do what their contracts say — happy paths, named
 * rejections (NotFound, AlreadyExists, RevisionMismatch, LimitExceeded),
 * no-op changes that create no revision, and cascading deletes.
 * Method: apply commands to a real state machine and read the state back.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Op } from '../../src/fsm/commands.js';
import {
  applied,
  applyOne,
  cleanupDirs,
  closeAll,
  expectRejected,
  Log,
  modelSpec,
  nodeReg,
  openFsm,
  ref,
} from './helpers.js';

afterEach(async () => {
  await closeAll();
  await cleanupDirs();
});

const register = (id: string, overrides = {}): Op => ({
  kind: 'node.register',
  node: nodeReg(id, overrides),
  timeMs: 1000,
});

describe('nodes', () => {
  it('register creates a node with status Unknown, then updates only agent-owned fields', async () => {
    const sm = await openFsm();
    const log = new Log();
    expect(applied(await applyOne(sm, log.cmd(register('n1'))))).toEqual({
      kind: 'node.register',
      created: true,
      modRevision: 1,
    });
    const node = await sm.read((v) => v.getNode('n1'));
    expect(node).toMatchObject({ id: 'n1', labels: { zone: 'a' }, taints: [], createRevision: 1, modRevision: 1 });
    expect(node!.status).toEqual({ condition: 'Unknown', reason: 'Registered', timeMs: 1000 });

    await applyOne(sm, log.cmd({ kind: 'node.setLabels', id: 'n1', labels: { zone: 'b', gpu: 'yes' } }));
    const again = await applyOne(
      sm,
      log.cmd(register('n1', { address: '10.0.0.9:7000', labels: { zone: 'ignored' } })),
    );
    expect(applied(again)).toEqual({ kind: 'node.register', created: false, modRevision: 3 });
    const updated = await sm.read((v) => v.getNode('n1'));
    expect(updated).toMatchObject({ address: '10.0.0.9:7000', labels: { gpu: 'yes', zone: 'b' }, createRevision: 1 });
  });

  it('a re-registration that changes nothing creates no revision', async () => {
    const sm = await openFsm();
    const log = new Log();
    await applyOne(sm, log.cmd(register('n1')));
    const same = await applyOne(sm, log.cmd(register('n1')));
    expect(applied(same)).toEqual({ kind: 'node.register', created: false, modRevision: 1 });
    expect(same.revision).toBe(1);
    expect(sm.status().schedulingRevision).toBe(1);
  });

  it('updateCapabilities, setStatus, setLabels and setTaints update; NotFound for unknown nodes', async () => {
    const sm = await openFsm();
    const log = new Log();
    await applyOne(sm, log.cmd(register('n1')));
    const caps = { ...nodeReg('n1').capabilities, memoryBytes: 16 * 1024 ** 3 };
    expect(
      applied(await applyOne(sm, log.cmd({ kind: 'node.updateCapabilities', id: 'n1', capabilities: caps }))),
    ).toEqual({
      kind: 'node.updateCapabilities',
      modRevision: 2,
    });
    const status = { condition: 'Ready' as const, reason: 'heartbeat', timeMs: 2000 };
    applied(await applyOne(sm, log.cmd({ kind: 'node.setStatus', id: 'n1', status })));
    const taints = [{ key: 'dedicated', value: 'ml', effect: 'NoSchedule' as const }];
    applied(await applyOne(sm, log.cmd({ kind: 'node.setTaints', id: 'n1', taints })));
    const node = await sm.read((v) => v.getNode('n1'));
    expect(node).toMatchObject({ status, taints, modRevision: 4 });
    expect(node!.capabilities.memoryBytes).toBe(16 * 1024 ** 3);
    for (const op of [
      { kind: 'node.updateCapabilities', id: 'nx', capabilities: caps },
      { kind: 'node.setStatus', id: 'nx', status },
      { kind: 'node.setLabels', id: 'nx', labels: {} },
      { kind: 'node.setTaints', id: 'nx', taints: [] },
      { kind: 'node.delete', id: 'nx' },
    ] as Op[]) {
      expectRejected(await applyOne(sm, log.cmd(op)), 'NotFound', 'op.id');
    }
    expect(sm.revision).toBe(4);
  });

  it('expectedModRevision guards updates with RevisionMismatch', async () => {
    const sm = await openFsm();
    const log = new Log();
    await applyOne(sm, log.cmd(register('n1')));
    const r = expectRejected(
      await applyOne(sm, log.cmd({ kind: 'node.setLabels', id: 'n1', labels: {}, expectedModRevision: 9 })),
      'RevisionMismatch',
      'op.expectedModRevision',
    );
    expect(r.details).toEqual({ expectedModRevision: 9, actualModRevision: 1 });
    applied(await applyOne(sm, log.cmd({ kind: 'node.setLabels', id: 'n1', labels: {}, expectedModRevision: 1 })));
  });

  it('refuses more nodes than nodesMax', async () => {
    const sm = await openFsm(undefined, { replicatedLimits: { nodesMax: 2 } });
    const log = new Log();
    await sm.apply([log.cmd(register('n1')), log.cmd(register('n2'))]);
    expectRejected(await applyOne(sm, log.cmd(register('n3'))), 'LimitExceeded', 'nodes');
    applied(await applyOne(sm, log.cmd(register('n2', { name: 'renamed' }))));
    applied(await applyOne(sm, log.cmd({ kind: 'node.delete', id: 'n1' })));
    applied(await applyOne(sm, log.cmd(register('n3'))));
    expect(sm.status().nodes).toBe(2);
  });

  it('delete removes the node and every assignment on it', async () => {
    const sm = await openFsm();
    const log = new Log();
    await sm.apply([
      log.cmd(register('n1')),
      log.cmd(register('n2')),
      log.cmd({ kind: 'model.create', model: modelSpec('m') }),
    ]);
    await applyOne(
      sm,
      log.cmd({
        kind: 'placement.apply',
        term: 1,
        basedOnRevision: sm.revision,
        timeMs: 5,
        assign: [
          { model: ref('m'), nodeId: 'n1' },
          { model: ref('m'), nodeId: 'n2' },
        ],
        unassign: [],
      }),
    );
    expect(applied(await applyOne(sm, log.cmd({ kind: 'node.delete', id: 'n1' })))).toEqual({
      kind: 'node.delete',
      assignmentsDeleted: 1,
    });
    const left = await sm.read((v) => v.listAssignments());
    expect(left.items.map((a) => a.nodeId)).toEqual(['n2']);
    expect(await sm.read((v) => v.listAssignments({ nodeId: 'n1' }))).toMatchObject({ items: [] });
    expect(await sm.read((v) => v.getNode('n1'))).toBeUndefined();
  });

  it('lists nodes in pages', async () => {
    const sm = await openFsm();
    const log = new Log();
    await sm.apply(['a', 'b', 'c'].map((id) => log.cmd(register(id))));
    const first = await sm.read((v) => v.listNodes({ limit: 2 }));
    expect(first.items.map((n) => n.id)).toEqual(['a', 'b']);
    const rest = await sm.read((v) => v.listNodes({ limit: 2, cursor: first.nextCursor! }));
    expect(rest.items.map((n) => n.id)).toEqual(['c']);
    expect(rest.nextCursor).toBeNull();
  });
});

describe('models', () => {
  it('create, AlreadyExists, get and list by namespace and name', async () => {
    const sm = await openFsm();
    const log = new Log();
    expect(applied(await applyOne(sm, log.cmd({ kind: 'model.create', model: modelSpec('resnet', '1') })))).toEqual({
      kind: 'model.create',
      modRevision: 1,
    });
    expectRejected(
      await applyOne(sm, log.cmd({ kind: 'model.create', model: modelSpec('resnet', '1') })),
      'AlreadyExists',
      'op.model',
    );
    await sm.apply([
      log.cmd({ kind: 'model.create', model: modelSpec('resnet', '2') }),
      log.cmd({ kind: 'model.create', model: modelSpec('resnet-tiny', '1') }),
      log.cmd({ kind: 'model.create', model: { ...modelSpec('yolo', '8'), namespace: 'vision' } }),
    ]);
    const model = await sm.read((v) => v.getModel(ref('resnet', '2')));
    expect(model).toMatchObject({
      name: 'resnet',
      version: '2',
      artifact: { sha256: 'a'.repeat(64), sizeBytes: 1234 },
      createRevision: 2,
    });
    const byName = await sm.read((v) => v.listModels({ namespace: 'default', name: 'resnet' }));
    expect(byName.items.map((m) => m.version)).toEqual(['1', '2']);
    const byNamespace = await sm.read((v) => v.listModels({ namespace: 'default' }));
    expect(byNamespace.items.map((m) => `${m.name}@${m.version}`)).toEqual(['resnet@1', 'resnet@2', 'resnet-tiny@1']);
    expect((await sm.read((v) => v.listModels())).items).toHaveLength(4);
  });

  it('update changes requirements and replicas, with RevisionMismatch and NotFound', async () => {
    const sm = await openFsm();
    const log = new Log();
    await applyOne(sm, log.cmd({ kind: 'model.create', model: modelSpec('m') }));
    const requirements = { ...modelSpec('m').requirements, memoryBytes: 1 };
    const update = (expectedModRevision?: number): Op => ({
      kind: 'model.update',
      model: ref('m'),
      requirements,
      desiredReplicas: 5,
      ...(expectedModRevision === undefined ? {} : { expectedModRevision }),
    });
    expectRejected(await applyOne(sm, log.cmd(update(7))), 'RevisionMismatch');
    expect(applied(await applyOne(sm, log.cmd(update(1))))).toEqual({ kind: 'model.update', modRevision: 2 });
    const unchanged = await applyOne(sm, log.cmd(update()));
    expect(applied(unchanged)).toEqual({ kind: 'model.update', modRevision: 2 });
    expect(unchanged.revision).toBe(2);
    expect(await sm.read((v) => v.getModel(ref('m')))).toMatchObject({
      desiredReplicas: 5,
      requirements: { memoryBytes: 1 },
    });
    expectRejected(await applyOne(sm, log.cmd({ ...update(), model: ref('zzz') } as Op)), 'NotFound', 'op.model');
  });

  it('delete removes the version and its assignments; limit on model count', async () => {
    const sm = await openFsm(undefined, { replicatedLimits: { modelsMax: 2 } });
    const log = new Log();
    await sm.apply([
      log.cmd(register('n1')),
      log.cmd({ kind: 'model.create', model: modelSpec('m', '1') }),
      log.cmd({ kind: 'model.create', model: modelSpec('m', '2') }),
    ]);
    expectRejected(
      await applyOne(sm, log.cmd({ kind: 'model.create', model: modelSpec('m', '3') })),
      'LimitExceeded',
      'models',
    );
    await applyOne(
      sm,
      log.cmd({
        kind: 'placement.apply',
        term: 1,
        basedOnRevision: sm.revision,
        timeMs: 5,
        assign: [
          { model: ref('m', '1'), nodeId: 'n1' },
          { model: ref('m', '2'), nodeId: 'n1' },
        ],
        unassign: [],
      }),
    );
    expect(applied(await applyOne(sm, log.cmd({ kind: 'model.delete', model: ref('m', '1') })))).toEqual({
      kind: 'model.delete',
      assignmentsDeleted: 1,
    });
    expect((await sm.read((v) => v.listAssignments({ nodeId: 'n1' }))).items.map((a) => a.model.version)).toEqual([
      '2',
    ]);
    expectRejected(await applyOne(sm, log.cmd({ kind: 'model.delete', model: ref('m', '1') })), 'NotFound');
    applied(await applyOne(sm, log.cmd({ kind: 'model.create', model: modelSpec('m', '3') })));
  });
});
