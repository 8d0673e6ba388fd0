/**
 * Goal: placements are fenced (a plan based on an old revision, or from an
 * older leader term, is rejected as StalePlacement, so a deposed leader cannot
 * double-place), atomic, bounded, and assignment states follow their graph.
 * Method: build nodes and models, apply placement commands with chosen
 * basedOnRevision/term values, check results and the stored assignments.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ModelNodePair, Op } from '../../src/fsm/commands.js';
import { ASSIGNMENTS_PER_NODE_MAX } from '../../src/fsm/limits.js';
import type { StateMachine } from '../../src/fsm/state-machine.js';
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

const place = (term: number, basedOnRevision: number, assign: ModelNodePair[], unassign: ModelNodePair[] = []): Op => ({
  kind: 'placement.apply',
  term,
  basedOnRevision,
  timeMs: 100,
  assign,
  unassign,
});
const pair = (name: string, nodeId: string): ModelNodePair => ({ model: ref(name), nodeId });

async function cluster(): Promise<{ sm: StateMachine; log: Log }> {
  const sm = await openFsm();
  const log = new Log();
  await sm.apply([
    log.cmd({ kind: 'node.register', node: nodeReg('n1'), timeMs: 1 }),
    log.cmd({ kind: 'node.register', node: nodeReg('n2'), timeMs: 1 }),
    log.cmd({ kind: 'model.create', model: modelSpec('m') }),
    log.cmd({ kind: 'model.create', model: modelSpec('k') }),
  ]);
  return { sm, log };
}

describe('placement', () => {
  it('assigns atomically as Pending with the term and revision', async () => {
    const { sm, log } = await cluster();
    const result = await applyOne(sm, log.cmd(place(3, 4, [pair('m', 'n1'), pair('m', 'n2')])));
    expect(applied(result)).toEqual({ kind: 'placement.apply', assigned: 2, unassigned: 0 });
    const a = await sm.read((v) => v.getAssignment(ref('m'), 'n1'));
    expect(a).toEqual({
      model: ref('m'),
      nodeId: 'n1',
      state: 'Pending',
      reason: 'Placed',
      timeMs: 100,
      placementTerm: 3,
      createRevision: 5,
      modRevision: 5,
    });
    expect(sm.status().schedulingRevision).toBe(5);
    const byModel = await sm.read((v) => v.listAssignments({ namespace: 'default', name: 'm', version: '1' }));
    expect(byModel.items.map((x) => x.nodeId)).toEqual(['n1', 'n2']);
  });

  it('fencing: a plan based on a revision older than the last scheduling change is StalePlacement', async () => {
    const { sm, log } = await cluster();
    const seen = sm.revision; // both "leaders" plan from this view
    applied(await applyOne(sm, log.cmd(place(1, seen, [pair('m', 'n1')]))));
    const stale = expectRejected(
      await applyOne(sm, log.cmd(place(1, seen, [pair('m', 'n2')]))),
      'StalePlacement',
      'op.basedOnRevision',
    );
    expect(stale.details).toEqual({ basedOnRevision: seen, schedulingRevision: seen + 1 });
    // A kv write does not invalidate placements; a node change does.
    await applyOne(sm, log.cmd({ kind: 'kv.put', namespace: 'x', key: 'k', value: new Uint8Array(1) }));
    applied(await applyOne(sm, log.cmd(place(1, seen + 1, [pair('k', 'n1')]))));
    const before = sm.revision;
    await applyOne(
      sm,
      log.cmd({ kind: 'node.setStatus', id: 'n2', status: { condition: 'NotReady', reason: 'lost', timeMs: 9 } }),
    );
    expectRejected(await applyOne(sm, log.cmd(place(1, before, [pair('k', 'n2')]))), 'StalePlacement');
    expect((await sm.read((v) => v.listAssignments())).items).toHaveLength(2);
  });

  it('fencing: a placement from an older term than one already applied is StalePlacement', async () => {
    const { sm, log } = await cluster();
    applied(await applyOne(sm, log.cmd(place(5, sm.revision, [pair('m', 'n1')]))));
    const old = expectRejected(
      await applyOne(sm, log.cmd(place(4, sm.revision, [pair('m', 'n2')]))),
      'StalePlacement',
      'op.term',
    );
    expect(old.details).toEqual({ term: 4, placementTermMax: 5 });
    applied(await applyOne(sm, log.cmd(place(5, sm.revision, [pair('m', 'n2')]))));
  });

  it('a basedOnRevision ahead of the state is Invalid', async () => {
    const { sm, log } = await cluster();
    expectRejected(
      await applyOne(sm, log.cmd(place(1, sm.revision + 10, [pair('m', 'n1')]))),
      'Invalid',
      'op.basedOnRevision',
    );
  });

  it('names what is missing or duplicated, and applies nothing of a rejected plan', async () => {
    const { sm, log } = await cluster();
    const rev = sm.revision;
    expectRejected(
      await applyOne(sm, log.cmd(place(1, rev, [pair('m', 'n1'), pair('zzz', 'n1')]))),
      'NotFound',
      'op.assign[1].model',
    );
    expectRejected(await applyOne(sm, log.cmd(place(1, rev, [pair('m', 'n9')]))), 'NotFound', 'op.assign[0].nodeId');
    expectRejected(await applyOne(sm, log.cmd(place(1, rev, [], [pair('m', 'n1')]))), 'NotFound', 'op.unassign[0]');
    expect((await sm.read((v) => v.listAssignments())).items).toEqual([]);
    expect(sm.revision).toBe(rev);
    applied(await applyOne(sm, log.cmd(place(1, rev, [pair('m', 'n1')]))));
    expectRejected(
      await applyOne(sm, log.cmd(place(1, sm.revision, [pair('m', 'n1')]))),
      'AlreadyExists',
      'op.assign[0]',
    );
  });

  it('moves a replica in one plan (unassign then assign)', async () => {
    const { sm, log } = await cluster();
    await applyOne(sm, log.cmd(place(1, sm.revision, [pair('m', 'n1')])));
    const move = await applyOne(sm, log.cmd(place(1, sm.revision, [pair('m', 'n2')], [pair('m', 'n1')])));
    expect(applied(move)).toEqual({ kind: 'placement.apply', assigned: 1, unassigned: 1 });
    expect((await sm.read((v) => v.listAssignments())).items.map((a) => a.nodeId)).toEqual(['n2']);
  });

  it('bounds the assignments a node holds (LimitExceeded)', async () => {
    const sm = await openFsm();
    const log = new Log();
    const count = ASSIGNMENTS_PER_NODE_MAX + 1;
    await sm.apply([
      log.cmd({ kind: 'node.register', node: nodeReg('n1'), timeMs: 1 }),
      ...Array.from({ length: count }, (_, i) => log.cmd({ kind: 'model.create', model: modelSpec(`m${i}`) })),
    ]);
    const all = Array.from({ length: ASSIGNMENTS_PER_NODE_MAX }, (_, i) => pair(`m${i}`, 'n1'));
    applied(await applyOne(sm, log.cmd(place(1, sm.revision, all))));
    const extra = expectRejected(
      await applyOne(sm, log.cmd(place(1, sm.revision, [pair(`m${count - 1}`, 'n1')]))),
      'LimitExceeded',
    );
    expect(extra.field).toBe('op.assign[0]');
    expect((await sm.read((v) => v.listAssignments({ nodeId: 'n1' }, { limit: 1000 }))).items).toHaveLength(
      ASSIGNMENTS_PER_NODE_MAX,
    );
  });
});

describe('assignment state', () => {
  const setState = (
    state: 'Pending' | 'Loading' | 'Ready' | 'Failed',
    reason = '',
    expectedModRevision?: number,
  ): Op => ({
    kind: 'assignment.setState',
    model: ref('m'),
    nodeId: 'n1',
    state,
    reason,
    timeMs: 200,
    ...(expectedModRevision === undefined ? {} : { expectedModRevision }),
  });

  it('follows Pending → Loading → Ready → Failed → Pending and refuses other jumps', async () => {
    const { sm, log } = await cluster();
    await applyOne(sm, log.cmd(place(1, sm.revision, [pair('m', 'n1')])));
    applied(await applyOne(sm, log.cmd(setState('Loading'))));
    applied(await applyOne(sm, log.cmd(setState('Ready'))));
    const bad = expectRejected(await applyOne(sm, log.cmd(setState('Pending'))), 'InvalidTransition', 'op.state');
    expect(bad.details).toEqual({ from: 'Ready', to: 'Pending' });
    applied(await applyOne(sm, log.cmd(setState('Failed', 'out of memory'))));
    applied(await applyOne(sm, log.cmd(setState('Pending', 'retry'))));
    const a = await sm.read((v) => v.getAssignment(ref('m'), 'n1'));
    expect(a).toMatchObject({ state: 'Pending', reason: 'retry', timeMs: 200 });
  });

  it('re-setting the same state and reason is a no-op; NotFound and RevisionMismatch are named', async () => {
    const { sm, log } = await cluster();
    await applyOne(sm, log.cmd(place(1, sm.revision, [pair('m', 'n1')])));
    const loading = applied(await applyOne(sm, log.cmd(setState('Loading', 'pulling'))));
    const again = await applyOne(sm, log.cmd(setState('Loading', 'pulling')));
    expect(applied(again)).toEqual(loading);
    expect(again.revision).toBe(sm.revision);
    expectRejected(await applyOne(sm, log.cmd(setState('Ready', '', 1))), 'RevisionMismatch');
    expectRejected(await applyOne(sm, log.cmd({ ...setState('Ready'), nodeId: 'n2' } as Op)), 'NotFound');
  });
});
