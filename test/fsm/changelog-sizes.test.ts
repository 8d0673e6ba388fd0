// Goal: retention of the change log subtracts exactly the stored size of each dropped record,
// whether the applier remembers it (sizes it wrote) or reads it back (records written before a
// restart); the in-memory ring holds consecutive revisions only and forgets beyond its capacity.
// Method: the ring on its own; then the same puts applied by one instance and by two (closed and
// reopened midway), with count and byte retention both active: the databases must be identical.
import { afterEach, describe, expect, it } from 'vitest';
import { ChangeLogSizes } from '../../src/fsm/changelog-sizes.js';
import type { Op } from '../../src/fsm/commands.js';
import { bytes, cleanupDirs, closeAll, dumpDir, Log, openFsm, tempDir } from './helpers.js';

afterEach(async () => {
  await closeAll();
  await cleanupDirs();
});

describe('ChangeLogSizes', () => {
  it('hands back the sizes of consecutive revisions, oldest first', () => {
    const sizes = new ChangeLogSizes(4);
    sizes.push(10, 100);
    sizes.push(11, 110);
    sizes.push(12, 120);
    expect(sizes.takeOldest(9)).toBeUndefined(); // older than held: read it from the store
    expect(sizes.takeOldest(10)).toBe(100);
    expect(sizes.takeOldest(11)).toBe(110);
    expect(sizes.size).toBe(1);
  });

  it('forgets the oldest beyond its capacity, and starts over on a gap', () => {
    const sizes = new ChangeLogSizes(2);
    sizes.push(1, 10);
    sizes.push(2, 20);
    sizes.push(3, 30); // forgets revision 1
    expect(sizes.takeOldest(1)).toBeUndefined();
    expect(sizes.takeOldest(2)).toBe(20);
    sizes.push(7, 70); // not 4: what was held no longer lines up
    expect(sizes.size).toBe(1);
    expect(sizes.takeOldest(3)).toBeUndefined();
    expect(sizes.takeOldest(7)).toBe(70);
    sizes.push(8, 80);
    expect(sizes.takeOldest(9)).toBeUndefined(); // a skipped revision: start over
    expect(sizes.size).toBe(0);
    expect(() => new ChangeLogSizes(0)).toThrow(/capacity 0/);
  });
});

describe('change log retention across a restart', () => {
  it('stores the same database whether sizes were remembered or read back', async () => {
    const limits = { changeLogRevisionsMax: 20, changeLogBytesMax: 1024 }; // the byte bound drops most
    const ops: Op[] = Array.from({ length: 40 }, (_, i) => ({
      kind: 'kv.put',
      namespace: 'app',
      key: `k${i % 7}`,
      value: bytes('v'.repeat(1 + ((i * 37) % 120))),
    }));
    const oneDir = await tempDir();
    const one = await openFsm(oneDir, { replicatedLimits: limits });
    const oneLog = new Log();
    for (const op of ops) await one.apply([oneLog.cmd(op)]);
    await one.close();

    const twoDir = await tempDir();
    const twoLog = new Log();
    const first = await openFsm(twoDir, { replicatedLimits: limits });
    for (const op of ops.slice(0, 15)) await first.apply([twoLog.cmd(op)]);
    await first.close();
    const second = await openFsm(twoDir, { replicatedLimits: limits });
    for (const op of ops.slice(15)) await second.apply([twoLog.cmd(op)]);
    expect(second.status().changeLogFirstRevision).toBeGreaterThan(30);
    await second.close();

    expect(await dumpDir(twoDir)).toEqual(await dumpDir(oneDir));
  });
});
