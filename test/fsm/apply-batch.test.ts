/**
 * Goal: applyBatch() hands back final results before the batch's LevelDB
 * write lands, and nothing can observe state older than a result it was
 * handed: reads, watches, snapshots, sync and the next apply wait for the
 * write; a failed write fails the state machine instead of being lost.
 * Method: hold the LevelDB batch write (BatchWrites.write) on a latch the test
 * releases, and check what each call sees while it is held and after.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BatchWrites } from '../../src/fsm/batch.js';
import { StateMachineFailedError } from '../../src/fsm/errors.js';
import type { Op } from '../../src/fsm/commands.js';
import type { WatchEvent } from '../../src/fsm/events.js';
import { applied, bytes, cleanupDirs, closeAll, Log, openFsm } from './helpers.js';

const put = (key: string, value = 'v'): Op => ({ kind: 'kv.put', namespace: 'app', key, value: bytes(value) });

/** Writes held by holdWrites(), released after each test whatever happens (close waits for them). */
const held: { go: () => void; fail: (err: Error) => void }[] = [];

/** Holds every LevelDB batch write until releaseAll() (or failAll()). */
function holdWrites() {
  const real = BatchWrites.prototype.write;
  vi.spyOn(BatchWrites.prototype, 'write').mockImplementation(function (this: BatchWrites, options) {
    return new Promise<void>((resolve, reject) => {
      held.push({ go: () => void real.call(this, options).then(resolve, reject), fail: reject });
    });
  });
  return {
    get count() {
      return held.length;
    },
    releaseAll() {
      for (const h of held.splice(0)) h.go();
    },
    failAll(err: Error) {
      for (const h of held.splice(0)) h.fail(err);
    },
  };
}

/** Lets a batch's write be submitted (applyBatch submits it from the next turn of the event loop). */
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

/** Whether `p` settled within a few turns of the event loop (it is never awaited otherwise). */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  p.then(
    () => (done = true),
    () => (done = true),
  );
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  return done;
}

afterEach(async () => {
  vi.restoreAllMocks();
  for (const h of held.splice(0)) h.go();
  await closeAll();
  await cleanupDirs();
});

describe('applyBatch', () => {
  it('returns final results while the write is held; reads started after it wait and then see it', async () => {
    const sm = await openFsm();
    const log = new Log();
    await sm.apply([log.cmd(put('a', 'old'))]);
    const hold = holdWrites();
    const batch = await sm.applyBatch([log.cmd(put('a', 'new')), log.cmd(put('b', 'x'))]);
    expect(batch.results.map((r) => applied(r))).toMatchObject([{ kind: 'kv.put' }, { kind: 'kv.put' }]);
    expect(sm.appliedIndex).toBe(3);
    expect(hold.count).toBe(0); // the write is submitted after the answers went out
    await nextTurn();
    expect(hold.count).toBe(1);
    expect(await settled(batch.stored)).toBe(false);

    const read = sm.read((view) => view.kvGet('app', 'a'));
    expect(await settled(read)).toBe(false); // it must not answer from the older LevelDB state
    hold.releaseAll();
    await batch.stored;
    expect(Buffer.from((await read)!.value).toString()).toBe('new');
    expect(sm.status().revision).toBe(3);
  });

  it('the next apply, sync and snapshot wait for the held write', async () => {
    const sm = await openFsm();
    const log = new Log();
    const hold = holdWrites();
    const first = await sm.applyBatch([log.cmd(put('a'))]);
    const second = sm.applyBatch([log.cmd(put('b'))]);
    const sync = sm.sync();
    const snapshot = sm.createSnapshot();
    expect(await settled(second)).toBe(false);
    expect(await settled(sync)).toBe(false);
    expect(await settled(snapshot)).toBe(false);
    await nextTurn();
    hold.releaseAll();
    await first.stored;
    const secondBatch = await second;
    await nextTurn();
    hold.releaseAll(); // the second batch's write (sync's own write is not a BatchWrites write)
    await secondBatch.stored;
    expect(await sync).toBeGreaterThanOrEqual(1);
    const source = await snapshot;
    await source.close();
    expect(sm.appliedIndex).toBe(2);
  });

  it('a watch from now opened while a write is held starts after that batch; one from its revision gets it', async () => {
    const sm = await openFsm();
    const log = new Log();
    await sm.apply([log.cmd(put('a'))]);
    const hold = holdWrites();
    const batch = await sm.applyBatch([log.cmd(put('held'))]);
    const fromNow = sm.watch();
    const fromHeld = sm.watch({ fromRevision: 2 });
    await nextTurn();
    hold.releaseAll();
    await batch.stored;
    vi.restoreAllMocks();
    await sm.apply([log.cmd(put('later'))]);
    const nowBatch = await fromNow.next();
    expect(nowBatch.done).toBe(false);
    expect(nowBatch.value!.events.map((e: WatchEvent) => [e.revision, e.key])).toEqual([[3, 'app/later']]);
    const heldBatch = await fromHeld.next();
    expect(heldBatch.value!.events.map((e: WatchEvent) => [e.revision, e.key])).toEqual([[2, 'app/held']]);
    fromNow.cancel();
    fromHeld.cancel();
  });

  it('a failed write rejects stored with StateMachineFailedError and fails every later call', async () => {
    const sm = await openFsm();
    const log = new Log();
    const hold = holdWrites();
    const batch = await sm.applyBatch([log.cmd(put('a'))]);
    const read = sm.read((view) => view.kvGet('app', 'a'));
    await nextTurn();
    hold.failAll(new Error('disk full'));
    await expect(batch.stored).rejects.toBeInstanceOf(StateMachineFailedError);
    await expect(batch.stored).rejects.toThrow(/storing an applied batch failed/);
    await expect(read).rejects.toBeInstanceOf(StateMachineFailedError);
    await expect(sm.applyBatch([log.cmd(put('b'))])).rejects.toBeInstanceOf(StateMachineFailedError);
  });
});
