/**
 * Goal: membership changes (ConfChange entries) are recorded as members with
 * the address from their context, and changes that cannot be recorded are
 * deterministic named rejections, never crashes.
 * Method: apply encoded conf changes (and malformed ones) and read members.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ConfChangeType, EntryType, nodeId } from '../../src/raft/core/types.js';
import { applied, applyOne, bytes, cleanupDirs, closeAll, expectRejected, Log, openFsm } from './helpers.js';

afterEach(async () => {
  await closeAll();
  await cleanupDirs();
});

const context = (address: string) => bytes(JSON.stringify({ address }));

describe('members', () => {
  it('records add voter, add learner, promote and remove', async () => {
    const sm = await openFsm();
    const log = new Log();
    const watcher = sm.watch({ kinds: ['member'] });
    expect(
      applied(
        await applyOne(
          sm,
          log.conf({ type: ConfChangeType.AddVoter, nodeId: nodeId('r1'), context: context('10.0.0.1:7000') }),
        ),
      ),
    ).toEqual({
      kind: 'member.add',
      id: 'r1',
      role: 'voter',
    });
    applied(
      await applyOne(
        sm,
        log.conf({ type: ConfChangeType.AddLearner, nodeId: nodeId('r4'), context: context('[::1]:7004') }),
      ),
    );
    expect(await sm.read((v) => v.listMembers())).toEqual([
      { id: 'r1', address: '10.0.0.1:7000', role: 'voter' },
      { id: 'r4', address: '[::1]:7004', role: 'learner' },
    ]);
    applied(await applyOne(sm, log.conf({ type: ConfChangeType.PromoteLearner, nodeId: nodeId('r4') })));
    applied(await applyOne(sm, log.conf({ type: ConfChangeType.RemoveNode, nodeId: nodeId('r1') })));
    expect(await sm.read((v) => v.listMembers())).toEqual([{ id: 'r4', address: '[::1]:7004', role: 'voter' }]);
    const snapshot = await sm.createSnapshot();
    expect(snapshot.confState).toEqual({ voters: ['r4'], learners: [] });
    await snapshot.close();
    const events = [];
    for (let i = 0; i < 4; i++) events.push(...(await watcher.next()).value!.events);
    expect(events.map((e) => `${e.type}:${e.key}`)).toEqual(['put:r1', 'put:r4', 'put:r4', 'delete:r1']);
  });

  it('re-adding a member without a context keeps its address', async () => {
    const sm = await openFsm();
    const log = new Log();
    await applyOne(sm, log.conf({ type: ConfChangeType.AddLearner, nodeId: nodeId('r2'), context: context('h:1') }));
    applied(await applyOne(sm, log.conf({ type: ConfChangeType.AddVoter, nodeId: nodeId('r2') })));
    expect(await sm.read((v) => v.listMembers())).toEqual([{ id: 'r2', address: 'h:1', role: 'voter' }]);
  });

  it('names what is wrong with a change that cannot be recorded', async () => {
    const sm = await openFsm();
    const log = new Log();
    expectRejected(
      await applyOne(sm, log.conf({ type: ConfChangeType.AddVoter, nodeId: nodeId('r1') })),
      'Invalid',
      'context.address',
    );
    expectRejected(
      await applyOne(sm, log.conf({ type: ConfChangeType.AddVoter, nodeId: nodeId('r1'), context: bytes('{') })),
      'Invalid',
      'context',
    );
    expectRejected(
      await applyOne(
        sm,
        log.conf({ type: ConfChangeType.AddVoter, nodeId: nodeId('r1'), context: context('no port') }),
      ),
      'Invalid',
      'context.address',
    );
    expectRejected(
      await applyOne(sm, log.conf({ type: ConfChangeType.PromoteLearner, nodeId: nodeId('zz') })),
      'NotFound',
      'nodeId',
    );
    expectRejected(
      await applyOne(sm, log.conf({ type: ConfChangeType.RemoveNode, nodeId: nodeId('zz') })),
      'NotFound',
      'nodeId',
    );
    expectRejected(await applyOne(sm, log.raw(bytes('garbage'), EntryType.ConfChange)), 'Invalid', 'confChange');
    expectRejected(await applyOne(sm, log.raw(bytes('x'), 7 as EntryType)), 'Invalid', 'type');
    expect(sm.status()).toMatchObject({ appliedIndex: 7, revision: 0 });
  });
});
