/**
 * Goal: the write-behind writes what was applied, in order and only whole
 * applies, each write sealed with its newest apply's meta: with delayMs 0 on the next turn of the event loop; a discarded
 * pending batch (an apply failed half-way) never reaches LevelDB, its waiters
 * and every later call get the failure, and the batch in flight still lands;
 * a write failing while an apply stages is that apply's failure too.
 * Method: a WriteBehind over a real LevelDB in a temp directory; stage writes
 * as an apply would, then read the database back.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BatchWrites } from '../../src/fsm/batch.js';
import { initialMeta, type MetaState } from '../../src/fsm/meta.js';
import { resolveReplicatedLimits } from '../../src/fsm/config.js';
import { openDb, readSync, type Db } from '../../src/fsm/store.js';
import { WriteBehind } from '../../src/fsm/write-behind.js';
import { cleanupDirs, tempDir } from './helpers.js';

const dbs: Db[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const db of dbs.splice(0)) await db.close();
  await cleanupDirs();
});

async function rig(delayMs: number) {
  const db = await openDb(await tempDir());
  dbs.push(db);
  const stored: number[] = [];
  const writeBehind = new WriteBehind(
    () => db,
    { delayMs, writesMax: 1000, sync: false },
    {
      seal: (batch, meta) => batch.put('_sealed', Buffer.from(String(meta.appliedIndex))),
      stored: (meta) => stored.push(meta.appliedIndex),
      failed: (err) => new Error(`store failed: ${String(err)}`),
    },
  );
  return { db, writeBehind, stored };
}

/** Stages one apply of `key` = `value` at `index`, as the state machine does. */
function applyOne(writeBehind: WriteBehind, index: number, key: string, value: string): Promise<void> {
  const batch = writeBehind.batchForApply();
  batch.put(key, Buffer.from(value));
  const meta: MetaState = { ...initialMeta(resolveReplicatedLimits(undefined)), appliedIndex: index };
  return writeBehind.applied(meta, []);
}

const read = (db: Db, key: string) => readSync(db, key)?.toString();

describe('WriteBehind', () => {
  it('with delayMs 0 writes on the next turn; writes land in apply order, one at a time', async () => {
    const { db, writeBehind, stored } = await rig(0);
    const first = applyOne(writeBehind, 1, 'a', '1');
    expect(read(db, 'a')).toBeUndefined();
    await first;
    expect(read(db, 'a')).toBe('1');
    const second = applyOne(writeBehind, 2, 'a', '2');
    const third = applyOne(writeBehind, 3, 'b', '3'); // same pending batch as the second
    await Promise.all([second, third]);
    expect([read(db, 'a'), read(db, 'b')]).toEqual(['2', '3']);
    expect(read(db, '_sealed')).toBe('3'); // each write sealed once, with its newest apply's meta
    expect(stored).toEqual([1, 3]);
    expect(writeBehind.idle).toBe(true);
  });

  it('a discarded pending batch is never written; the one in flight lands; later calls fail', async () => {
    const { db, writeBehind, stored } = await rig(1000);
    const inFlight = applyOne(writeBehind, 1, 'a', 'kept');
    const flushed = writeBehind.flush(); // submits it
    const doomed = applyOne(writeBehind, 2, 'a', 'half-applied');
    doomed.catch(() => undefined);
    writeBehind.discard(new Error('apply of entry 2 failed'));
    await expect(doomed).rejects.toThrow('apply of entry 2 failed');
    await flushed;
    await inFlight;
    expect(read(db, 'a')).toBe('kept');
    expect(stored).toEqual([1]);
    expect(() => writeBehind.batchForApply()).toThrow('apply of entry 2 failed');
    await expect(writeBehind.flush()).rejects.toThrow('apply of entry 2 failed');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(read(db, 'a')).toBe('kept');
  });

  it('a write that fails while an apply is staging fails that apply too, not an assertion', async () => {
    const { writeBehind } = await rig(1000);
    let failWrite!: (err: Error) => void;
    vi.spyOn(BatchWrites.prototype, 'write').mockImplementation(() => new Promise<void>((_, reject) => (failWrite = reject)));
    const first = applyOne(writeBehind, 1, 'a', '1');
    first.catch(() => undefined);
    const flushed = writeBehind.flush();
    flushed.catch(() => undefined);
    const batch = writeBehind.batchForApply(); // the second apply starts staging, then awaits (a scan, say)
    batch.put('b', Buffer.from('2'));
    failWrite(new Error('disk full'));
    await expect(first).rejects.toThrow('store failed: Error: disk full');
    const meta: MetaState = { ...initialMeta(resolveReplicatedLimits(undefined)), appliedIndex: 2 };
    await expect(writeBehind.applied(meta, [])).rejects.toThrow('store failed: Error: disk full');
    await expect(flushed).rejects.toThrow('disk full');
    expect(() => writeBehind.batchForApply()).toThrow('disk full');
  });
});
