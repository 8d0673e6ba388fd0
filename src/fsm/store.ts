/**
 * The LevelDB boundary: opening a database and reading ranges of it.
 * Everything above works with binary-string keys (keys.ts) and encoded records.
 */
import { ClassicLevel } from 'classic-level';
import { StoreOpenError } from './errors.js';
import { fromBuffer, toBuffer, type KeyRange, type StoreKey } from './keys.js';

export type Db = ClassicLevel<Buffer, Buffer>;
/** An explicit, point-in-time view of a Db (LevelDB snapshot). */
export type DbSnapshot = ReturnType<Db['snapshot']>;

export async function openDb(location: string): Promise<Db> {
  const db = new ClassicLevel<Buffer, Buffer>(location, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
  try {
    await db.open();
  } catch (err) {
    throw new StoreOpenError(`cannot open state database at ${location} (is another process using it?)`, {
      cause: err,
    });
  }
  return db;
}

/** Point read of the latest committed state (used only by the single applier). */
export function readSync(db: Db, key: StoreKey): Buffer | undefined {
  return db.getSync(toBuffer(key));
}

/**
 * Point read from a snapshot, done on the calling thread as readSync: a LevelDB
 * Get from the memtable or a cached block takes microseconds, less than a
 * round trip through the thread pool (two context switches); the control
 * plane's state is small enough to stay in the page cache.
 */
export async function readAt(db: Db, snapshot: DbSnapshot, key: StoreKey): Promise<Buffer | undefined> {
  return db.getSync(toBuffer(key), { snapshot });
}

export interface ScanOptions {
  /** Entries returned at most. */
  readonly limit: number;
  /** Read from this snapshot instead of the latest state. */
  readonly snapshot?: DbSnapshot;
  /** Exclusive lower bound that overrides range.gte (pagination cursor). */
  readonly after?: StoreKey;
}

/**
 * Up to `limit` entries of `range` in key order, as [key, value] pairs.
 * The iterator is always closed, even when the consumer stops early.
 */
export async function* scanDb(db: Db, range: KeyRange, options: ScanOptions): AsyncGenerator<[StoreKey, Buffer]> {
  if (options.limit <= 0) return;
  const lower =
    options.after !== undefined && options.after >= range.gte
      ? { gt: toBuffer(options.after) }
      : { gte: toBuffer(range.gte) };
  const iterator = db.iterator({
    ...lower,
    lt: toBuffer(range.lt),
    limit: options.limit,
    ...(options.snapshot === undefined ? {} : { snapshot: options.snapshot }),
  });
  try {
    for await (const [key, value] of iterator) yield [fromBuffer(key), value];
  } finally {
    await iterator.close();
  }
}
