/**
 * Goal: the kv store's ops and reads behave like a small etcd: revisions,
 * versions, delete-range by prefix with a limit, CAS on value and on
 * revision, namespaces, quotas, bounded paginated range reads.
 * Method: apply commands to a real LevelDB-backed state machine in a temp
 * dir and check results, named rejections and reads.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/fsm/errors.js';
import type { Op } from '../../src/fsm/commands.js';
import { applied, applyOne, bytes, cleanupDirs, closeAll, expectRejected, Log, openFsm } from './helpers.js';

afterEach(async () => {
  await closeAll();
  await cleanupDirs();
});

const put = (key: string, value: string, namespace = 'app'): Op => ({
  kind: 'kv.put',
  namespace,
  key,
  value: bytes(value),
});
const text = (value: Uint8Array | undefined) => (value === undefined ? undefined : new TextDecoder().decode(value));

describe('kv', () => {
  it('put creates, updates and tracks createRevision, modRevision and version', async () => {
    const sm = await openFsm();
    const log = new Log();
    const first = applied(await applyOne(sm, log.cmd(put('a', '1'))));
    expect(first).toEqual({ kind: 'kv.put', createRevision: 1, modRevision: 1, version: 1, prevModRevision: 0 });
    const second = applied(await applyOne(sm, log.cmd(put('a', '2'))));
    expect(second).toEqual({ kind: 'kv.put', createRevision: 1, modRevision: 2, version: 2, prevModRevision: 1 });
    const entry = await sm.read((v) => v.kvGet('app', 'a'));
    expect(entry).toMatchObject({ namespace: 'app', key: 'a', createRevision: 1, modRevision: 2, version: 2 });
    expect(text(entry!.value)).toBe('2');
    expect(sm.status()).toMatchObject({ revision: 2, kvKeys: 1, kvBytes: 1 });
  });

  it('keeps namespaces apart', async () => {
    const sm = await openFsm();
    const log = new Log();
    await sm.apply([log.cmd(put('k', 'x', 'one')), log.cmd(put('k', 'y', 'two'))]);
    expect(text((await sm.read((v) => v.kvGet('one', 'k')))!.value)).toBe('x');
    expect(text((await sm.read((v) => v.kvGet('two', 'k')))!.value)).toBe('y');
    expect(await sm.read((v) => v.kvGet('three', 'k'))).toBeUndefined();
  });

  it('delete removes a key; deleting an absent key changes nothing', async () => {
    const sm = await openFsm();
    const log = new Log();
    await applyOne(sm, log.cmd(put('a', '1')));
    const gone = await applyOne(sm, log.cmd({ kind: 'kv.delete', namespace: 'app', key: 'a' }));
    expect(applied(gone)).toEqual({ kind: 'kv.delete', deleted: true, prevModRevision: 1 });
    expect(gone.revision).toBe(2);
    const again = await applyOne(sm, log.cmd({ kind: 'kv.delete', namespace: 'app', key: 'a' }));
    expect(applied(again)).toEqual({ kind: 'kv.delete', deleted: false, prevModRevision: 0 });
    expect(again.revision).toBe(2);
    expect(sm.status()).toMatchObject({ kvKeys: 0, kvBytes: 0 });
    // A re-created key starts over at version 1 with a new createRevision.
    expect(applied(await applyOne(sm, log.cmd(put('a', '3'))))).toMatchObject({ createRevision: 3, version: 1 });
  });

  it('deleteRange deletes by prefix up to the limit and reports more', async () => {
    const sm = await openFsm();
    const log = new Log();
    await sm.apply(['cfg/a', 'cfg/b', 'cfg/c', 'cfg/d', 'cfh/x', 'other'].map((k) => log.cmd(put(k, 'v'))));
    const first = await applyOne(sm, log.cmd({ kind: 'kv.deleteRange', namespace: 'app', prefix: 'cfg/', limit: 3 }));
    expect(applied(first)).toEqual({ kind: 'kv.deleteRange', deleted: 3, more: true });
    const second = await applyOne(sm, log.cmd({ kind: 'kv.deleteRange', namespace: 'app', prefix: 'cfg/', limit: 3 }));
    expect(applied(second)).toEqual({ kind: 'kv.deleteRange', deleted: 1, more: false });
    const empty = await applyOne(sm, log.cmd({ kind: 'kv.deleteRange', namespace: 'app', prefix: 'cfg/', limit: 3 }));
    expect(applied(empty)).toEqual({ kind: 'kv.deleteRange', deleted: 0, more: false });
    expect(empty.revision).toBe(second.revision);
    const left = await sm.read((v) => v.kvRange('app', ''));
    expect(left.items.map((e) => e.key)).toEqual(['cfh/x', 'other']);
  });

  it('deleteRange works across many keys in bounded steps', async () => {
    const sm = await openFsm();
    const log = new Log();
    await sm.apply(
      Array.from({ length: 40 }, (_, i) => log.cmd(put(`many/${String(i).padStart(2, '0')}`, 'x'.repeat(i)))),
    );
    const first = await applyOne(sm, log.cmd({ kind: 'kv.deleteRange', namespace: 'app', prefix: 'many/', limit: 35 }));
    expect(applied(first)).toEqual({ kind: 'kv.deleteRange', deleted: 35, more: true });
    const left = await sm.read((v) => v.kvRange('app', 'many/'));
    expect(left.items.map((e) => e.key)).toEqual(['many/35', 'many/36', 'many/37', 'many/38', 'many/39']);
    expect(sm.status()).toMatchObject({ kvKeys: 5, kvBytes: 35 + 36 + 37 + 38 + 39 });
  });

  it('deleteRange sees puts earlier in the same batch', async () => {
    const sm = await openFsm();
    const log = new Log();
    await applyOne(sm, log.cmd(put('p/1', 'stored')));
    const results = await sm.apply([
      log.cmd(put('p/2', 'pending')),
      log.cmd({ kind: 'kv.delete', namespace: 'app', key: 'p/1' }),
      log.cmd(put('p/3', 'pending')),
      log.cmd({ kind: 'kv.deleteRange', namespace: 'app', prefix: 'p/', limit: 1000 }),
    ]);
    expect(applied(results[3]!)).toEqual({ kind: 'kv.deleteRange', deleted: 2, more: false });
    expect((await sm.read((v) => v.kvRange('app', 'p/'))).items).toEqual([]);
    expect(sm.status().kvKeys).toBe(0);
  });

  it('cas on value: swaps when equal, CasMismatch otherwise; null means absent', async () => {
    const sm = await openFsm();
    const log = new Log();
    const cas = (expected: string | null, value: string | null): Op => ({
      kind: 'kv.cas',
      namespace: 'app',
      key: 'lock',
      expect: { kind: 'value', value: expected === null ? null : bytes(expected) },
      value: value === null ? null : bytes(value),
    });
    expect(applied(await applyOne(sm, log.cmd(cas(null, 'me'))))).toEqual({
      kind: 'kv.cas',
      createRevision: 1,
      modRevision: 1,
      version: 1,
    });
    const lost = expectRejected(await applyOne(sm, log.cmd(cas(null, 'you'))), 'CasMismatch', 'op.expect');
    expect(lost.details).toEqual({ actualModRevision: 1 });
    expectRejected(await applyOne(sm, log.cmd(cas('you', 'x'))), 'CasMismatch');
    expect(applied(await applyOne(sm, log.cmd(cas('me', 'me2'))))).toMatchObject({ modRevision: 2, version: 2 });
    expect(applied(await applyOne(sm, log.cmd(cas('me2', null))))).toEqual({
      kind: 'kv.cas',
      createRevision: 0,
      modRevision: 3,
      version: 0,
    });
    expect(await sm.read((v) => v.kvGet('app', 'lock'))).toBeUndefined();
  });

  it('cas on modRevision: 0 means absent', async () => {
    const sm = await openFsm();
    const log = new Log();
    const cas = (modRevision: number, value: string): Op => ({
      kind: 'kv.cas',
      namespace: 'app',
      key: 'k',
      expect: { kind: 'modRevision', modRevision },
      value: bytes(value),
    });
    expect(applied(await applyOne(sm, log.cmd(cas(0, 'a'))))).toMatchObject({ modRevision: 1 });
    expectRejected(await applyOne(sm, log.cmd(cas(0, 'b'))), 'CasMismatch');
    expectRejected(await applyOne(sm, log.cmd(cas(7, 'b'))), 'CasMismatch');
    expect(applied(await applyOne(sm, log.cmd(cas(1, 'b'))))).toMatchObject({ modRevision: 2, version: 2 });
    // A rejected CAS does not advance the revision.
    expect(sm.revision).toBe(2);
  });

  it('range by prefix is ordered, limited and continues with a cursor', async () => {
    const sm = await openFsm();
    const log = new Log();
    const keys = ['s/a', 's/b', 's/c', 's/d', 's/e', 't/a', 'é', 's', 's/é'];
    await sm.apply(keys.map((k) => log.cmd(put(k, k))));
    const page1 = await sm.read((v) => v.kvRange('app', 's/', { limit: 2 }));
    expect(page1.items.map((e) => e.key)).toEqual(['s/a', 's/b']);
    expect(page1.revision).toBe(keys.length);
    const page2 = await sm.read((v) => v.kvRange('app', 's/', { limit: 2, cursor: page1.nextCursor! }));
    expect(page2.items.map((e) => e.key)).toEqual(['s/c', 's/d']);
    const page3 = await sm.read((v) => v.kvRange('app', 's/', { limit: 2, cursor: page2.nextCursor! }));
    expect(page3.items.map((e) => e.key)).toEqual(['s/e', 's/é']);
    expect(page3.nextCursor).toBeNull();
    // A cursor of another range is refused.
    const other = await sm.read((v) => v.kvRange('app', 't/', { limit: 1 }));
    expect(other.nextCursor).toBeNull();
    await expect(sm.read((v) => v.kvRange('app', 't/', { cursor: page1.nextCursor! }))).rejects.toThrow(
      ValidationError,
    );
    await expect(sm.read((v) => v.kvRange('app', '', { limit: 0 }))).rejects.toMatchObject({ field: 'limit' });
  });

  it('enforces the keys and bytes quotas with LimitExceeded', async () => {
    const sm = await openFsm(undefined, { replicatedLimits: { kvKeysMax: 2, kvBytesMax: 1024 } });
    const log = new Log();
    await sm.apply([log.cmd(put('a', 'x')), log.cmd(put('b', 'y'))]);
    expectRejected(await applyOne(sm, log.cmd(put('c', 'z'))), 'LimitExceeded', 'kv.keys');
    // Overwriting an existing key is allowed while bytes fit.
    applied(await applyOne(sm, log.cmd(put('a', 'x'.repeat(1000)))));
    expectRejected(await applyOne(sm, log.cmd(put('b', 'y'.repeat(100)))), 'LimitExceeded', 'kv.bytes');
    expect(sm.status()).toMatchObject({ kvKeys: 2, kvBytes: 1001 });
  });

  it('reads validate their input with a named field', async () => {
    const sm = await openFsm();
    await expect(sm.read((v) => v.kvGet('Bad NS', 'k'))).rejects.toMatchObject({
      name: 'ValidationError',
      field: 'namespace',
    });
    await expect(sm.read((v) => v.kvGet('app', ''))).rejects.toMatchObject({ field: 'key' });
  });
});
