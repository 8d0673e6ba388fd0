/**
 * Goal: applyBatch() hands back final results before LevelDB has the batch;
 * applied batches reach LevelDB behind the applier (write-behind.ts), gathered
 * into one write per storeDelayMs, one write at a time, and nothing can
 * observe state older than a result it was handed: reads, watch history,
 * snapshots and sync flush first; applying goes on while a write is in flight
 * and reads what that write holds; the pending batch is bounded; a failed
 * write fails the state machine instead of being lost; and the database ends
 * up byte for byte what one write per apply would have stored.
 * Method: hold the LevelDB batch write (BatchWrites.write) on a latch the test
 * releases, and check what each call sees while it is held and after.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BatchWrites, CommandTxn } from '../../src/fsm/batch.js';
import { CompactedError, StateMachineFailedError } from '../../src/fsm/errors.js';
import type { Op } from '../../src/fsm/commands.js';
import type { WatchEvent } from '../../src/fsm/events.js';
import { applied, bytes, cleanupDirs, closeAll, dumpDir, Log, openFsm, tempDir } from './helpers.js';

const put = (key: string, value = 'v'): Op => ({ kind: 'kv.put', namespace: 'app', key, value: bytes(value) });

/** Writes held by holdWrites(), released after each test whatever happens (close waits for them). */
const held: { go: () => void; fail: (err: Error) => void; keys: number }[] = [];

/** Holds every LevelDB batch write until releaseAll() (or failAll()). */
function holdWrites() {
  const real = BatchWrites.prototype.write;
  vi.spyOn(BatchWrites.prototype, 'write').mockImplementation(function (this: BatchWrites, options) {
    return new Promise<void>((resolve, reject) => {
      held.push({ go: () => void real.call(this, options).then(resolve, reject), fail: reject, keys: this.size });
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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

afterEach(async () => {
  vi.restoreAllMocks();
  for (const h of held.splice(0)) h.go();
  await closeAll();
  await cleanupDirs();
});

/** A delay no test waits out: writes happen only when something flushes. */
const LONG_DELAY = { storeDelayMs: 1000 };

describe('applyBatch', () => {
  it('returns final results before the write; a read started after flushes, waits, and sees it', async () => {
    const sm = await openFsm(undefined, LONG_DELAY);
    const log = new Log();
    await sm.apply([log.cmd(put('a', 'old'))]);
    const hold = holdWrites();
    const batch = await sm.applyBatch([log.cmd(put('a', 'new')), log.cmd(put('b', 'x'))]);
    expect(batch.results.map((r) => applied(r))).toMatchObject([{ kind: 'kv.put' }, { kind: 'kv.put' }]);
    expect(sm.appliedIndex).toBe(3);
    expect(await settled(batch.stored)).toBe(false);
    expect(hold.count).toBe(0); // gathering: nothing written yet

    const read = sm.read((view) => view.kvGet('app', 'a'));
    expect(await settled(read)).toBe(false);
    expect(hold.count).toBe(1); // the read flushed; it must not answer from the older LevelDB state
    hold.releaseAll();
    await batch.stored;
    expect(Buffer.from((await read)!.value).toString()).toBe('new');
    expect(sm.status().revision).toBe(3);
  });

  it('gathers the applies of one delay into one LevelDB write', async () => {
    const sm = await openFsm(undefined, { storeDelayMs: 30 });
    const log = new Log();
    const hold = holdWrites();
    const first = await sm.applyBatch([log.cmd(put('a'))]);
    const second = await sm.applyBatch([log.cmd(put('a', 'again')), log.cmd(put('b'))]);
    expect(hold.count).toBe(0);
    await vi.waitFor(() => expect(hold.count).toBe(1), { timeout: 2000 }); // the 30 ms delay ran out
    await sleep(40);
    expect(hold.count).toBe(1); // one write for both applies
    expect(held[0]!.keys).toBeLessThan(12); // one meta record, one session-less put per key, the change log
    hold.releaseAll();
    await Promise.all([first.stored, second.stored]);
    expect(await sm.read((view) => view.kvGet('app', 'a')).then((e) => Buffer.from(e!.value).toString())).toBe('again');
  });

  it('applies on while a write is held, reading what the held write holds', async () => {
    const sm = await openFsm(undefined, LONG_DELAY);
    const log = new Log();
    const hold = holdWrites();
    await sm.applyBatch([log.cmd(put('a', 'one')), log.cmd(put('gone'))]);
    const flushed = sm.sync();
    expect(await settled(flushed)).toBe(false);
    expect(hold.count).toBe(1);
    // Not in LevelDB yet: each of these must see the held batch's writes.
    const next = await sm.applyBatch([
      log.cmd({ kind: 'kv.cas', namespace: 'app', key: 'a', expect: { kind: 'value', value: bytes('one') }, value: bytes('two') }),
      log.cmd({ kind: 'kv.deleteRange', namespace: 'app', prefix: 'go', limit: 10 }),
      log.cmd(put('a', 'three')),
    ]);
    expect(next.results.map((r) => applied(r))).toMatchObject([
      { kind: 'kv.cas' },
      { kind: 'kv.deleteRange', deleted: 1 },
      { kind: 'kv.put' },
    ]);
    expect(sm.status().kvKeys).toBe(1);
    expect(hold.count).toBe(1); // one write at a time
    hold.releaseAll();
    await flushed;
    const read = sm.read((view) => view.kvGet('app', 'a'));
    await vi.waitFor(() => expect(hold.count).toBe(1));
    hold.releaseAll();
    expect(Buffer.from((await read)!.value).toString()).toBe('three');
    await next.stored;
  });

  it('a flush asked for while an apply awaits a scan half-way writes the whole apply, not part of it', async () => {
    const sm = await openFsm(undefined, LONG_DELAY);
    const log = new Log();
    await sm.apply([log.cmd(put('x1')), log.cmd(put('x2'))]);
    const realScan = CommandTxn.prototype.scan;
    let syncing: Promise<number> | null = null;
    vi.spyOn(CommandTxn.prototype, 'scan').mockImplementation(function (this: CommandTxn, range, limit) {
      syncing ??= sm.sync(); // the apply has staged 'y' and awaits this scan
      return realScan.call(this, range, limit);
    });
    const batch = await sm.applyBatch([
      log.cmd(put('y')),
      log.cmd({ kind: 'kv.deleteRange', namespace: 'app', prefix: 'x', limit: 10 }),
      log.cmd(put('z')),
    ]);
    expect(syncing).not.toBeNull();
    expect(await syncing).toBe(5); // LevelDB got all three entries at once
    await batch.stored;
    vi.restoreAllMocks();
    expect(await sm.read((view) => view.kvGet('app', 'z'))).toBeDefined();
    expect(await sm.read((view) => view.kvGet('app', 'x1'))).toBeUndefined();
  });

  it('sync and snapshot flush and wait for the write', async () => {
    const sm = await openFsm(undefined, LONG_DELAY);
    const log = new Log();
    const hold = holdWrites();
    const first = await sm.applyBatch([log.cmd(put('a'))]);
    const sync = sm.sync();
    const snapshot = sm.createSnapshot();
    expect(await settled(sync)).toBe(false);
    expect(await settled(snapshot)).toBe(false);
    hold.releaseAll();
    await first.stored;
    expect(await sync).toBe(1);
    const source = await snapshot;
    await source.close();
  });

  it('bounds the pending batch: the applier waits while it is full and a write is in flight', async () => {
    const sm = await openFsm(undefined, { ...LONG_DELAY, storeWritesMax: 8 });
    const log = new Log();
    const hold = holdWrites();
    await sm.applyBatch([log.cmd(put('a'))]);
    void sm.sync(); // submits the first batch, held
    await vi.waitFor(() => expect(hold.count).toBe(1));
    await sm.applyBatch(['b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'].map((k) => log.cmd(put(k)))); // over 8 keys now
    const waiting = sm.applyBatch([log.cmd(put('j'))]);
    expect(await settled(waiting)).toBe(false);
    hold.releaseAll(); // the first lands; the full one is submitted and the applier goes on
    const last = await waiting;
    expect(hold.count).toBe(1);
    hold.releaseAll();
    vi.restoreAllMocks();
    await sm.sync();
    await last.stored;
    expect(sm.status().kvKeys).toBe(10);
  });

  it('a watch from now opened while batches are unwritten starts after them; one from their revision gets them', async () => {
    const sm = await openFsm(undefined, LONG_DELAY);
    const log = new Log();
    await sm.apply([log.cmd(put('a'))]);
    const hold = holdWrites();
    const batch = await sm.applyBatch([log.cmd(put('held'))]);
    const fromNow = sm.watch();
    const fromHeld = sm.watch({ fromRevision: 2 });
    const heldBatch = fromHeld.next();
    expect(await settled(heldBatch)).toBe(false); // live from revision 2: it waits for that write
    void sm.sync();
    await vi.waitFor(() => expect(hold.count).toBe(1));
    hold.releaseAll();
    await batch.stored;
    vi.restoreAllMocks();
    await sm.apply([log.cmd(put('later'))]);
    const nowBatch = await fromNow.next();
    expect(nowBatch.done).toBe(false);
    expect(nowBatch.value!.events.map((e: WatchEvent) => [e.revision, e.key])).toEqual([[3, 'app/later']]);
    expect((await heldBatch).value!.events.map((e: WatchEvent) => [e.revision, e.key])).toEqual([[2, 'app/held']]);
    fromNow.cancel();
    fromHeld.cancel();
  });

  it('a watch from a revision that applied retention dropped is refused at once, naming the applied oldest', async () => {
    const sm = await openFsm(undefined, { ...LONG_DELAY, replicatedLimits: { changeLogRevisionsMax: 3 } });
    const log = new Log();
    await sm.applyBatch(['a', 'b', 'c', 'd', 'e'].map((k) => log.cmd(put(k)))); // nothing written yet
    const oldest = sm.status().changeLogFirstRevision;
    expect(oldest).toBe(3);
    expect(() => sm.watch({ fromRevision: 2 })).toThrow(CompactedError);
    expect(() => sm.watch({ fromRevision: 2 })).toThrow(/oldest revision available is 3/);
    sm.watch({ fromRevision: 3 }).cancel();
  });

  it('live watchers get the events of a gathered write in order, once it is written', async () => {
    const sm = await openFsm(undefined, { storeDelayMs: 200 }); // far beyond the few turns settled() waits
    const log = new Log();
    const watcher = sm.watch();
    const first = watcher.next();
    await sm.applyBatch([log.cmd(put('x'))]);
    await sm.applyBatch([log.cmd(put('y')), log.cmd(put('z'))]);
    expect(await settled(first)).toBe(false);
    const batch = await first;
    expect(batch.value!.events.map((e: WatchEvent) => [e.revision, e.key])).toEqual([
      [1, 'app/x'],
      [2, 'app/y'],
      [3, 'app/z'],
    ]);
    watcher.cancel();
  });

  it('a failed write rejects stored with StateMachineFailedError and fails every later call', async () => {
    const sm = await openFsm(undefined, LONG_DELAY);
    const log = new Log();
    const hold = holdWrites();
    const batch = await sm.applyBatch([log.cmd(put('a'))]);
    const read = sm.read((view) => view.kvGet('app', 'a'));
    const later = await sm.applyBatch([log.cmd(put('b'))]); // pending behind the held write
    await vi.waitFor(() => expect(hold.count).toBe(1));
    hold.failAll(new Error('disk full'));
    await expect(batch.stored).rejects.toBeInstanceOf(StateMachineFailedError);
    await expect(batch.stored).rejects.toThrow(/storing an applied batch failed/);
    await expect(later.stored).rejects.toBeInstanceOf(StateMachineFailedError);
    await expect(read).rejects.toBeInstanceOf(StateMachineFailedError);
    await expect(sm.applyBatch([log.cmd(put('c'))])).rejects.toBeInstanceOf(StateMachineFailedError);
  });
});

describe('write-behind and the stored database', () => {
  it('stores byte for byte what one write per apply stores, with overwrites, deletes and retention', async () => {
    const limits = { changeLogRevisionsMax: 16, changeLogBytesMax: 1024 };
    const ops: Op[] = Array.from({ length: 60 }, (_, i) =>
      i % 9 === 8
        ? { kind: 'kv.delete', namespace: 'app', key: `k${i % 5}` }
        : { kind: 'kv.put', namespace: 'app', key: `k${i % 5}`, value: bytes('v'.repeat(1 + ((i * 31) % 90))) },
    );
    const run = async (storeDelayMs: number, batchOf: number) => {
      const dir = await tempDir();
      const sm = await openFsm(dir, { replicatedLimits: limits, storeDelayMs });
      const log = new Log();
      const stored: Promise<void>[] = [];
      for (let i = 0; i < ops.length; i += batchOf) {
        const batch = await sm.applyBatch(ops.slice(i, i + batchOf).map((op, j) => log.cmd(op, 'c1', i + j + 1)));
        stored.push(batch.stored);
      }
      await sm.close();
      await Promise.all(stored);
      return dumpDir(dir);
    };
    const eachOwnWrite = await run(0, 1);
    expect(await run(1000, 1)).toEqual(eachOwnWrite); // all gathered into the one write close() flushes
    expect(await run(1000, 7)).toEqual(eachOwnWrite);
  });
});
