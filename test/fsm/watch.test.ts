/**
 * Goal: watches are resumable, gap-free, duplicate-free streams of changes
 * from a revision; compaction and slow consumers fail with named errors that
 * say where to resume; apply never waits for a watcher.
 * Method: apply kv and node commands while watchers catch up from history or
 * follow live, then compare the revisions and keys they delivered.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CompactedError, TooManyReadersError, WatchCancelledError, WatchOverflowError } from '../../src/fsm/errors.js';
import type { WatchEvent } from '../../src/fsm/events.js';
import type { Op } from '../../src/fsm/commands.js';
import type { StateMachine } from '../../src/fsm/state-machine.js';
import type { Watcher } from '../../src/fsm/watch.js';
import { bytes, cleanupDirs, closeAll, Log, nodeReg, openFsm } from './helpers.js';

afterEach(async () => {
  await closeAll();
  await cleanupDirs();
});

const put = (key: string, value = 'v'): Op => ({ kind: 'kv.put', namespace: 'app', key, value: bytes(value) });

/** Pulls batches until one covers `revision` (at most `batchesMax` pulls). */
async function collect(watcher: Watcher, revision: number, batchesMax = 1000): Promise<WatchEvent[]> {
  const events: WatchEvent[] = [];
  for (let i = 0; i < batchesMax; i++) {
    const next = await watcher.next();
    if (next.done) break;
    events.push(...next.value.events);
    if (next.value.revision >= revision) break;
  }
  return events;
}

async function putMany(sm: StateMachine, log: Log, count: number, prefix = 'k'): Promise<void> {
  for (let i = 0; i < count; i++) await sm.apply([log.cmd(put(`${prefix}${i}`, `${i}`))]);
}

const revisions = (events: WatchEvent[]) => events.map((e) => e.revision);

describe('watch', () => {
  it('delivers history from a past revision, then live changes, without gaps or duplicates', async () => {
    const sm = await openFsm(undefined, { watchHistoryPageRevisions: 2 });
    const log = new Log();
    await putMany(sm, log, 5);
    const watcher = sm.watch({ fromRevision: 2 });
    expect(revisions(await collect(watcher, 5))).toEqual([2, 3, 4, 5]);
    await putMany(sm, log, 3, 'later');
    const live = await collect(watcher, 8);
    expect(revisions(live)).toEqual([6, 7, 8]);
    expect(live[0]).toMatchObject({ kind: 'kv', type: 'put', key: 'app/later0', revision: 6 });
    watcher.cancel();
    expect(await watcher.next()).toEqual({ value: undefined, done: true });
    expect(sm.status().watchers).toBe(0);
  });

  it('a watch without fromRevision sees only later changes', async () => {
    const sm = await openFsm();
    const log = new Log();
    await putMany(sm, log, 3);
    const watcher = sm.watch();
    await sm.apply([log.cmd(put('new'))]);
    expect(await collect(watcher, 4)).toMatchObject([{ key: 'app/new', revision: 4 }]);
  });

  it('filters by kind and key prefix (an agent watching its own assignments)', async () => {
    const sm = await openFsm();
    const log = new Log();
    const watcher = sm.watch({ kinds: ['node'], keyPrefix: 'edge-1' });
    const kvWatcher = sm.watch({ kinds: ['kv'], keyPrefix: 'app/cfg/' });
    await sm.apply([
      log.cmd({ kind: 'node.register', node: nodeReg('edge-2'), timeMs: 1 }),
      log.cmd(put('cfg/a')),
      log.cmd({ kind: 'node.register', node: nodeReg('edge-1'), timeMs: 1 }),
      log.cmd(put('other')),
    ]);
    expect(await collect(watcher, 4)).toMatchObject([
      { kind: 'node', key: 'edge-1', revision: 3, value: { id: 'edge-1' } },
    ]);
    expect(await collect(kvWatcher, 4)).toMatchObject([{ kind: 'kv', key: 'app/cfg/a', revision: 2 }]);
  });

  it('resumes after a cancel from the next revision with the same sequence', async () => {
    const sm = await openFsm();
    const log = new Log();
    await putMany(sm, log, 6);
    const first = sm.watch({ fromRevision: 1 });
    const part = await collect(first, 3);
    const last = part[part.length - 1]!.revision;
    first.cancel();
    await putMany(sm, log, 2, 'x');
    const resumed = sm.watch({ fromRevision: last + 1 });
    const rest = await collect(resumed, 8);
    expect([...revisions(part), ...revisions(rest)]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('fails with CompactedError naming the oldest revision, at open and during catch-up', async () => {
    const sm = await openFsm(undefined, {
      replicatedLimits: { changeLogRevisionsMax: 5 },
      watchHistoryPageRevisions: 1,
    });
    const log = new Log();
    await putMany(sm, log, 10);
    expect(sm.status().changeLogFirstRevision).toBe(6);
    let caught: unknown;
    try {
      sm.watch({ fromRevision: 2 });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(CompactedError);
    expect(caught).toMatchObject({ requestedRevision: 2, oldestRevision: 6 });

    const slow = sm.watch({ fromRevision: 6 });
    expect(revisions(await collect(slow, 6))).toEqual([6]);
    await putMany(sm, log, 10, 'more'); // revisions 11..20; the log now starts at 16
    await expect(slow.next()).rejects.toMatchObject({
      name: 'CompactedError',
      requestedRevision: 7,
      oldestRevision: 16,
    });
    const fromOldest = sm.watch({ fromRevision: 16 });
    expect(revisions(await collect(fromOldest, 20))).toEqual([16, 17, 18, 19, 20]);
  });

  it('cancels a slow live watcher at its buffer bound without blocking apply; it resumes from history', async () => {
    const sm = await openFsm(undefined, { watchBufferEventsMax: 4 });
    const log = new Log();
    const slow = sm.watch();
    const fast = sm.watch();
    const fastEvents: WatchEvent[] = [];
    const draining = (async () => {
      for await (const batch of fast) {
        fastEvents.push(...batch.events);
        if (batch.revision >= 20) break;
      }
    })();
    await putMany(sm, log, 20); // nobody pulls `slow`
    await draining;
    expect(revisions(fastEvents)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    let error: unknown;
    try {
      await slow.next();
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(WatchOverflowError);
    const overflow = error as WatchOverflowError;
    expect(overflow.resumeRevision).toBe(1);
    expect(overflow.bufferedEvents).toBeLessThanOrEqual(4);
    expect(sm.status().watchers).toBe(0);
    const resumed = sm.watch({ fromRevision: overflow.resumeRevision });
    expect(revisions(await collect(resumed, 20))).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it('bounds a live watcher by bytes too (one batch is always accepted into an empty buffer)', async () => {
    const sm = await openFsm(undefined, { watchBufferBytesMax: 4096 });
    const log = new Log();
    const watcher = sm.watch();
    await sm.apply([log.cmd(put('a', 'x'.repeat(3000)))]);
    expect((await watcher.next()).value?.events[0]?.key).toBe('app/a');
    await sm.apply([log.cmd(put('b', 'x'.repeat(3000)))]);
    await sm.apply([log.cmd(put('c', 'x'.repeat(3000)))]); // b + c exceed 4096 bytes
    await expect(watcher.next()).rejects.toMatchObject({ name: 'WatchOverflowError', resumeRevision: 2 });
  });

  it('delivers every change to a consumer pulling while batches are applied', async () => {
    const sm = await openFsm(undefined, { watchHistoryPageRevisions: 3 });
    const log = new Log();
    await putMany(sm, log, 10);
    const watcher = sm.watch({ fromRevision: 1 });
    const consumed = collect(watcher, 60);
    for (let i = 0; i < 10; i++) await sm.apply(Array.from({ length: 5 }, (_, j) => log.cmd(put(`b${i}-${j}`))));
    expect(revisions(await consumed)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
  });

  it('close ends watchers with WatchCancelledError; the watcher count is bounded', async () => {
    const sm = await openFsm(undefined, { watchersMax: 2 });
    const a = sm.watch();
    sm.watch();
    expect(() => sm.watch()).toThrow(TooManyReadersError);
    const pending = a.next().then(
      () => null,
      (err: unknown) => err,
    );
    await sm.close();
    const error = await pending;
    expect(error).toBeInstanceOf(WatchCancelledError);
    expect(error).toMatchObject({ reason: 'closed', resumeRevision: 1 });
  });

  it('a watcher whose filter matches nothing still moves its resume point, never letting it fall out of the change log', async () => {
    const sm = await openFsm(undefined, { replicatedLimits: { changeLogRevisionsMax: 20 }, watchHistoryPageRevisions: 4 });
    const log = new Log();
    const watcher = sm.watch({ keyPrefix: 'app/watched' });
    let resume = watcher.resumeRevision; // what a consumer of the API holds: the created response's
    const progress: number[] = [];
    const consumer = (async () => {
      for (;;) {
        const next = await watcher.next();
        if (next.done) return;
        expect(next.value.events).toEqual([]); // nothing it watches changes: progress batches only
        progress.push(next.value.revision);
        resume = next.value.revision + 1;
      }
    })();
    for (let i = 0; i < 200; i++) {
      await sm.apply([log.cmd(put(`other${i}`))]);
      await new Promise((resolve) => setImmediate(resolve)); // the consumer takes what was offered
      expect(resume).toBeGreaterThanOrEqual(sm.status().changeLogFirstRevision);
    }
    // One per half-window of the change log once it is full (every 11 revisions here), a few
    // while it fills: far fewer than the 200 revisions.
    expect(progress.length).toBeGreaterThanOrEqual(200 / 11 - 1);
    expect(progress.length).toBeLessThanOrEqual(200 / 10 + 6);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));

    // Resuming from the last one works, and the next watched change arrives.
    watcher.cancel();
    await consumer;
    const resumed = sm.watch({ keyPrefix: 'app/watched', fromRevision: resume });
    await sm.apply([log.cmd(put('watched'))]);
    const events = await collect(resumed, 201);
    expect(events.map((e) => [e.revision, e.key])).toEqual([[201, 'app/watched']]);
  });

  it('a consumer that does not pull finds one current progress batch; catching up from history makes progress too', async () => {
    const sm = await openFsm(undefined, { replicatedLimits: { changeLogRevisionsMax: 20 }, watchHistoryPageRevisions: 4 });
    const log = new Log();
    const idle = sm.watch({ keyPrefix: 'app/watched' });
    await putMany(sm, log, 100, 'other');
    const first = await idle.next();
    expect(first.value).toMatchObject({ events: [] });
    expect(first.value!.revision + 1).toBeGreaterThanOrEqual(sm.status().changeLogFirstRevision);
    expect(idle.resumeRevision).toBe(101); // nothing else is held: it is past everything applied

    // From the oldest revision held (81), nothing matching: reading history pages of 4 revisions
    // moves the consumer on too, while the resume point is in the older half of [81, 100].
    const oldest = sm.status().changeLogFirstRevision;
    expect(oldest).toBe(81);
    const catchingUp = sm.watch({ keyPrefix: 'app/watched', fromRevision: oldest });
    const a = await catchingUp.next();
    const b = await catchingUp.next();
    expect([a.value, b.value]).toEqual([
      { events: [], revision: 84 },
      { events: [], revision: 92 },
    ]);
  });

  it('validates watch options with named fields', async () => {
    const sm = await openFsm();
    expect(() => sm.watch({ fromRevision: -1 })).toThrow(expect.objectContaining({ field: 'fromRevision' }));
    expect(() => sm.watch({ kinds: ['pods' as never] })).toThrow(expect.objectContaining({ field: 'kinds[0]' }));
  });
});
