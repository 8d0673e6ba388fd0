/**
 * The change log: one record per revision (its events), keyed by revision,
 * so watchers can resume from any retained revision.
 *
 * Invariant: records exist for exactly the revisions
 * [meta.changeLogFirstRevision, meta.revision]; their encoded sizes sum to
 * meta.changeLogBytes (each size is kept beside the record under z/).
 *
 * Retention is applied after every revision, inside apply, from the replicated
 * limits only, so every replica compacts the same records at the same entry
 * and a batch's boundaries never change the result.
 */
import { assert } from '../raft/core/errors.js';
import type { BatchWrites } from './batch.js';
import type { ChangeLogSizes } from './changelog-sizes.js';
import { decodeRecord, encodeRecord } from './codec.js';
import type { ChangeEvent, WatchEvent } from './events.js';
import { changeLogKey, changeLogSizeKey, parseChangeLogKey, Prefix, revisionSuffix } from './keys.js';
import type { MetaState } from './meta.js';
import { scanDb, type Db, type DbSnapshot } from './store.js';

/**
 * Records dropped at most per revision. Retention by count drops one per
 * revision in steady state; the byte bound may need more and catches up over
 * the following revisions.
 */
const COMPACTION_RECORDS_PER_REVISION_MAX = 64;

/** Appends the record of `meta.revision` (already advanced) and compacts. */
export function appendChangeRecord(batch: BatchWrites, meta: MetaState, events: readonly ChangeEvent[], sizes: ChangeLogSizes): void {
  assert(events.length > 0, 'a revision records at least one event');
  const bytes = encodeRecord(events);
  batch.put(changeLogKey(meta.revision), bytes);
  batch.put(changeLogSizeKey(meta.revision), encodeRecord(bytes.byteLength));
  sizes.push(meta.revision, bytes.byteLength);
  meta.changeLogBytes += bytes.byteLength;
  compact(batch, meta, sizes);
}

function compact(batch: BatchWrites, meta: MetaState, sizes: ChangeLogSizes): void {
  const { changeLogRevisionsMax, changeLogBytesMax } = meta.limits;
  for (let dropped = 0; dropped < COMPACTION_RECORDS_PER_REVISION_MAX; dropped++) {
    const first = meta.changeLogFirstRevision;
    const tooMany = first <= meta.revision - changeLogRevisionsMax;
    const tooBig = meta.changeLogBytes > changeLogBytesMax && first < meta.revision;
    if (!tooMany && !tooBig) return;
    const sizeBytes = sizes.takeOldest(first) ?? storedSize(batch, first);
    batch.del(changeLogKey(first));
    batch.del(changeLogSizeKey(first));
    meta.changeLogBytes -= sizeBytes;
    meta.changeLogFirstRevision = first + 1;
    assert(meta.changeLogBytes >= 0, 'change log bytes stay non-negative');
  }
}

/** The size stored beside the record of `revision` (a record the applier did not write, or forgot). */
function storedSize(batch: BatchWrites, revision: number): number {
  const bytes = batch.get(changeLogSizeKey(revision));
  assert(bytes !== undefined, `change log size of revision ${revision} is stored`);
  return decodeRecord<number>(bytes);
}

export interface HistoryPage {
  /** Events of revisions [from, throughRevision], in order. */
  readonly events: WatchEvent[];
  /** Last revision read (from - 1 when none was available yet). */
  readonly throughRevision: number;
}

/**
 * Reads up to `revisionsMax` revisions starting at `from` from a snapshot,
 * stopping early once `bytesMax` encoded bytes were read (at least one
 * revision is always read when available).
 * The caller has checked `from` against the snapshot's changeLogFirstRevision;
 * here a gap means the log was compacted under us, which cannot happen within
 * one snapshot, so it is asserted.
 */
export async function readHistory(
  db: Db,
  snapshot: DbSnapshot,
  from: number,
  revisionsMax: number,
  bytesMax: number,
): Promise<HistoryPage> {
  const events: WatchEvent[] = [];
  let expected = from;
  let bytesRead = 0;
  const range = { gte: Prefix.changeLog + revisionSuffix(from), lt: Prefix.changeLog + '\xff' };
  for await (const [key, value] of scanDb(db, range, { limit: revisionsMax, snapshot })) {
    const revision = parseChangeLogKey(key);
    assert(revision === expected, `change log is contiguous (expected ${expected}, found ${revision})`);
    for (const event of decodeRecord<ChangeEvent[]>(value)) events.push({ ...event, revision });
    expected += 1;
    bytesRead += value.byteLength;
    if (bytesRead >= bytesMax) break;
  }
  return { events, throughRevision: expected - 1 };
}
