/**
 * Goal: every read inside one read() call sees one applied state — the same
 * revision and data — even while batches are applied meanwhile; pages are
 * bounded and cursors continue exactly where the previous page stopped.
 * Method: start a read, apply more batches while it is suspended, and check
 * it still reports and sees the old state; page through assignments by node.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Op } from '../../src/fsm/commands.js';
import { bytes, cleanupDirs, closeAll, Log, modelSpec, nodeReg, openFsm, ref } from './helpers.js';

afterEach(async () => {
  await closeAll();
  await cleanupDirs();
});

const put = (key: string, value: string): Op => ({ kind: 'kv.put', namespace: 'app', key, value: bytes(value) });

describe('reads', () => {
  it('a read is one consistent view while batches are applied', async () => {
    const sm = await openFsm();
    const log = new Log();
    await sm.apply([log.cmd(put('x', '1')), log.cmd(put('y', '1'))]);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const reading = sm.read(async (view) => {
      const before = await view.kvGet('app', 'x');
      await gate; // meanwhile: more batches are applied
      const after = await view.kvGet('app', 'y');
      const range = await view.kvRange('app', '');
      return {
        revision: view.revision,
        before,
        after,
        keys: range.items.map((e) => e.key),
        rangeRevision: range.revision,
      };
    });
    await sm.apply([log.cmd(put('x', '2')), log.cmd(put('y', '2')), log.cmd(put('z', '2'))]);
    release();
    const seen = await reading;
    expect(seen.revision).toBe(2);
    expect(seen.rangeRevision).toBe(2);
    expect(new TextDecoder().decode(seen.before!.value)).toBe('1');
    expect(new TextDecoder().decode(seen.after!.value)).toBe('1');
    expect(seen.keys).toEqual(['x', 'y']);
    expect(await sm.read(async (v) => v.revision)).toBe(5);
  });

  it('pages assignments by node and by model with cursors, within readPageItemsMax', async () => {
    const sm = await openFsm(undefined, { readPageItemsMax: 3 });
    const log = new Log();
    const models = ['a', 'b', 'c', 'd', 'e'];
    await sm.apply([
      log.cmd({ kind: 'node.register', node: nodeReg('n1'), timeMs: 1 }),
      ...models.map((m) => log.cmd({ kind: 'model.create', model: modelSpec(m) })),
    ]);
    await sm.apply([
      log.cmd({
        kind: 'placement.apply',
        term: 1,
        basedOnRevision: sm.revision,
        timeMs: 1,
        assign: models.map((m) => ({ model: ref(m), nodeId: 'n1' })),
        unassign: [],
      }),
    ]);
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 5; i++) {
      const page = await sm.read((v) =>
        v.listAssignments({ nodeId: 'n1' }, { limit: 2, ...(cursor === undefined ? {} : { cursor }) }),
      );
      seen.push(...page.items.map((a) => a.model.name));
      if (page.nextCursor === null) break;
      cursor = page.nextCursor;
    }
    expect(seen).toEqual(models);
    await expect(sm.read((v) => v.listNodes({ limit: 4 }))).rejects.toMatchObject({ field: 'limit' });
    await expect(sm.read((v) => v.listAssignments({ nodeId: 'n1' }, { cursor: '!!' }))).rejects.toMatchObject({
      field: 'cursor',
    });
    await expect(sm.read((v) => v.listModels({ name: 'a' }))).rejects.toMatchObject({ field: 'namespace' });
  });
});
