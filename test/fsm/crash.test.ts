/**
 * Goal: a crash can never make an entry apply twice or be skipped. Each
 * apply() is one LevelDB batch with the applied index; after a restart the
 * WAL replays entries from before the applied index and they are skipped.
 * Method: apply batches, "crash" by closing without any further write, reopen
 * the directory, compare applied index and full database dumps, and replay
 * the whole log (as a WAL replay does). Also: contiguity is asserted, a second
 * opener is refused, stored replicated limits cannot silently change.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AssertionError } from '../../src/raft/core/errors.js';
import { FsmConfigError, StateMachineClosedError, StoreOpenError } from '../../src/fsm/errors.js';
import { StateMachine } from '../../src/fsm/state-machine.js';
import type { Entry } from '../../src/raft/core/types.js';
import {
  applied,
  bytes,
  cleanupDirs,
  closeAll,
  dumpDir,
  Log,
  modelSpec,
  nodeReg,
  openFsm,
  tempDir,
} from './helpers.js';

afterEach(async () => {
  await closeAll();
  await cleanupDirs();
});

function workload(log: Log, count: number): Entry[] {
  const entries: Entry[] = [log.noop()];
  for (let i = 0; i < count; i++) {
    const kind = i % 4;
    if (kind === 0)
      entries.push(log.cmd({ kind: 'kv.put', namespace: 'app', key: `k${i % 7}`, value: bytes(`v${i}`) }, 'c', i + 1));
    if (kind === 1) entries.push(log.cmd({ kind: 'node.register', node: nodeReg(`n${i % 3}`), timeMs: i }));
    if (kind === 2) entries.push(log.cmd({ kind: 'model.create', model: modelSpec(`m${i}`) }));
    if (kind === 3) entries.push(log.raw(bytes('not a command')));
  }
  return entries;
}

describe('crash safety', () => {
  it('after a crash between batches, applied index and data agree; replaying the log skips applied entries', async () => {
    const dir = await tempDir();
    const log = new Log();
    const entries = workload(log, 40);
    let sm = await openFsm(dir);
    await sm.apply(entries.slice(0, 15));
    await sm.apply(entries.slice(15, 30));
    const revisionAtCrash = sm.revision;
    await sm.close(); // the crash: nothing after the last batch reached the disk
    const atCrash = await dumpDir(dir);

    sm = await openFsm(dir);
    expect(sm.appliedIndex).toBe(30);
    expect(sm.revision).toBe(revisionAtCrash);
    // WAL replay from the start: everything up to 30 is skipped, nothing changes.
    const replay = await sm.apply(entries.slice(0, 30));
    expect(replay.every((r) => r.outcome.status === 'skipped')).toBe(true);
    await sm.close();
    expect(await dumpDir(dir)).toEqual(atCrash);

    // A batch overlapping the applied index applies only the new part.
    sm = await openFsm(dir);
    const mixed = await sm.apply(entries.slice(25));
    expect(mixed.filter((r) => r.outcome.status === 'skipped')).toHaveLength(5);
    expect(sm.appliedIndex).toBe(entries.length);
    await sm.close();

    // The same log applied in one go elsewhere gives the same bytes.
    const other = await tempDir();
    const fresh = await openFsm(other);
    await fresh.apply(entries);
    await fresh.close();
    expect(await dumpDir(other)).toEqual(await dumpDir(dir));
  });

  it('asserts contiguity: a gap after the applied index is a bug', async () => {
    const sm = await openFsm();
    const log = new Log();
    const entries = workload(log, 5);
    await sm.apply(entries.slice(0, 2));
    await expect(sm.apply(entries.slice(3))).rejects.toThrow(AssertionError);
    // Refused before anything was applied: the state machine is still usable.
    expect(sm.appliedIndex).toBe(2);
    await sm.apply(entries.slice(2));
    expect(sm.appliedIndex).toBe(entries.length);
  });

  it('an empty or fully applied batch writes nothing', async () => {
    const dir = await tempDir();
    const log = new Log();
    const sm = await openFsm(dir);
    const entries = workload(log, 4);
    await sm.apply(entries);
    expect(await sm.apply([])).toEqual([]);
    await sm.close();
    const before = await dumpDir(dir);
    const again = await openFsm(dir);
    await again.apply(entries);
    await again.close();
    expect(await dumpDir(dir)).toEqual(before);
  });

  it('sync() returns the applied index made durable', async () => {
    const sm = await openFsm();
    const log = new Log();
    await sm.apply(workload(log, 6));
    expect(await sm.sync()).toBe(sm.appliedIndex);
  });

  it('refuses a second opener of the same directory', async () => {
    const dir = await tempDir();
    await openFsm(dir);
    await expect(StateMachine.open(dir)).rejects.toThrow(StoreOpenError);
  });

  it('refuses to change replicated limits of an existing database', async () => {
    const dir = await tempDir();
    const sm = await openFsm(dir, { replicatedLimits: { sessionsMax: 5 } });
    await sm.close();
    await expect(StateMachine.open(dir, { replicatedLimits: { sessionsMax: 6 } })).rejects.toThrow(FsmConfigError);
    const same = await openFsm(dir, { replicatedLimits: { sessionsMax: 5 } });
    expect(same.status().limits.sessionsMax).toBe(5);
    await expect(StateMachine.open(await tempDir(), { watchersMax: 0 })).rejects.toMatchObject({
      field: 'watchersMax',
    });
  });

  it('a closed state machine refuses calls with StateMachineClosedError', async () => {
    const sm = await openFsm();
    await sm.close();
    await expect(sm.apply([new Log().noop()])).rejects.toThrow(StateMachineClosedError);
    await expect(sm.read(async (v) => v.revision)).rejects.toThrow(StateMachineClosedError);
    expect(() => sm.watch()).toThrow(StateMachineClosedError);
    await sm.close();
  });

  it('leader no-ops advance the applied index without a revision', async () => {
    const sm = await openFsm();
    const log = new Log();
    const [noop] = await sm.apply([log.noop()]);
    expect(noop).toEqual({ index: 1, revision: 0, outcome: { status: 'noop' }, duplicate: false });
    const [put] = await sm.apply([log.cmd({ kind: 'kv.put', namespace: 'a', key: 'k', value: bytes('v') })]);
    expect(applied(put!)).toMatchObject({ modRevision: 1 });
    expect(sm.status()).toMatchObject({ appliedIndex: 2, revision: 1 });
  });
});
