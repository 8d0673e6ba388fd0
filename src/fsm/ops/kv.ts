/**
 * kv ops: put, delete, delete-range by prefix, compare-and-swap.
 *
 * Each key keeps createRevision (when it was created), modRevision (last
 * change) and version (puts since creation), as in etcd. A delete of an absent
 * key (or an empty range) changes nothing and creates no revision.
 * Quotas (keys, bytes) are checked before anything is written.
 */
import type { CommandTxn } from '../batch.js';
import type { KvExpectation, Op } from '../commands.js';
import { decodeRecord } from '../codec.js';
import { kvKey, kvPrefix, prefixRange } from '../keys.js';
import type { KvEntry } from '../types.js';
import { ok, reject, type OpOutcome } from './common.js';

type OpOf<K extends Op['kind']> = Extract<Op, { kind: K }>;

const eventKey = (namespace: string, key: string): string => `${namespace}/${key}`;

function checkQuota(txn: CommandTxn, addedKeys: number, addedBytes: number): OpOutcome | null {
  const { meta } = txn;
  if (meta.kvKeyCount + addedKeys > meta.limits.kvKeysMax) {
    return reject('LimitExceeded', `the kv store holds ${meta.kvKeyCount} keys (limit ${meta.limits.kvKeysMax})`, {
      field: 'kv.keys',
    });
  }
  if (meta.kvBytes + addedBytes > meta.limits.kvBytesMax) {
    return reject('LimitExceeded', `the kv store holds ${meta.kvBytes} value bytes (limit ${meta.limits.kvBytesMax})`, {
      field: 'kv.bytes',
    });
  }
  return null;
}

/**
 * Writes `value` at (namespace, key), whose current entry is `previous`, after
 * the quota check; returns the new entry or a rejection.
 */
function putValue(
  txn: CommandTxn,
  namespace: string,
  key: string,
  value: Uint8Array,
  previous: KvEntry | undefined,
): KvEntry | OpOutcome {
  const addedBytes = value.byteLength - (previous?.value.byteLength ?? 0);
  const refused = checkQuota(txn, previous === undefined ? 1 : 0, Math.max(0, addedBytes));
  if (refused !== null) return refused;
  const entry: KvEntry = {
    namespace,
    key,
    value,
    createRevision: previous?.createRevision ?? txn.revision,
    modRevision: txn.revision,
    version: (previous?.version ?? 0) + 1,
  };
  txn.put(kvKey(namespace, key), entry);
  txn.emit({ kind: 'kv', type: 'put', key: eventKey(namespace, key), value: entry });
  txn.delta.kvKeys += previous === undefined ? 1 : 0;
  txn.delta.kvBytes += addedBytes;
  return entry;
}

function deleteEntry(txn: CommandTxn, entry: KvEntry): void {
  txn.del(kvKey(entry.namespace, entry.key));
  txn.emit({ kind: 'kv', type: 'delete', key: eventKey(entry.namespace, entry.key) });
  txn.delta.kvKeys -= 1;
  txn.delta.kvBytes -= entry.value.byteLength;
}

export async function kvPut(txn: CommandTxn, op: OpOf<'kv.put'>): Promise<OpOutcome> {
  const previous = txn.getRecord<KvEntry>(kvKey(op.namespace, op.key));
  const entry = putValue(txn, op.namespace, op.key, op.value, previous);
  if ('ok' in entry) return entry;
  return ok({
    kind: 'kv.put',
    createRevision: entry.createRevision,
    modRevision: entry.modRevision,
    version: entry.version,
    prevModRevision: previous?.modRevision ?? 0,
  });
}

export async function kvDelete(txn: CommandTxn, op: OpOf<'kv.delete'>): Promise<OpOutcome> {
  const previous = txn.getRecord<KvEntry>(kvKey(op.namespace, op.key));
  if (previous === undefined) return ok({ kind: 'kv.delete', deleted: false, prevModRevision: 0 });
  deleteEntry(txn, previous);
  return ok({ kind: 'kv.delete', deleted: true, prevModRevision: previous.modRevision });
}

/** Entries read per step of a delete-range: values may be 1 MiB, so memory stays ~16 MiB. */
const DELETE_RANGE_PAGE_ENTRIES = 16;

export async function kvDeleteRange(txn: CommandTxn, op: OpOf<'kv.deleteRange'>): Promise<OpOutcome> {
  let range = prefixRange(kvPrefix(op.namespace, op.prefix));
  let deleted = 0;
  while (deleted < op.limit) {
    const page = await txn.scan(range, Math.min(DELETE_RANGE_PAGE_ENTRIES, op.limit - deleted));
    if (page.length === 0) break;
    for (const [, bytes] of page) deleteEntry(txn, decodeRecord<KvEntry>(bytes));
    deleted += page.length;
    // Continue after the last key (key + NUL is the next possible key), not over what was just deleted.
    range = { gte: page[page.length - 1]![0] + '\x00', lt: range.lt };
  }
  const more = (await txn.scan(range, 1)).length > 0;
  return ok({ kind: 'kv.deleteRange', deleted, more });
}

function holds(expect: KvExpectation, current: KvEntry | undefined): boolean {
  if (expect.kind === 'modRevision') return (current?.modRevision ?? 0) === expect.modRevision;
  if (expect.value === null) return current === undefined;
  return current !== undefined && Buffer.from(current.value).equals(expect.value);
}

export async function kvCas(txn: CommandTxn, op: OpOf<'kv.cas'>): Promise<OpOutcome> {
  const current = txn.getRecord<KvEntry>(kvKey(op.namespace, op.key));
  if (!holds(op.expect, current)) {
    const actual = current?.modRevision ?? 0;
    const expected = op.expect.kind === 'modRevision' ? `modRevision ${op.expect.modRevision}` : 'value';
    return reject(
      'CasMismatch',
      `${op.namespace}/${op.key}: expected ${expected} does not match (key is at modRevision ${actual})`,
      {
        field: 'op.expect',
        details: { actualModRevision: actual },
      },
    );
  }
  if (op.value === null) {
    if (current !== undefined) deleteEntry(txn, current);
    const revision = current === undefined ? txn.meta.revision : txn.revision;
    return ok({ kind: 'kv.cas', createRevision: 0, modRevision: revision, version: 0 });
  }
  const entry = putValue(txn, op.namespace, op.key, op.value, current);
  if ('ok' in entry) return entry;
  return ok({
    kind: 'kv.cas',
    createRevision: entry.createRevision,
    modRevision: entry.modRevision,
    version: entry.version,
  });
}
