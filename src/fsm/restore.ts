/**
 * Building a database from snapshot chunks, beside the live one. Nothing here
 * touches the live database: on any failure the half-built directory is
 * removed and the error (SnapshotCorruptError, SnapshotOutdatedError, or an
 * I/O error) propagates with the live state untouched.
 *
 * Verified before the result may be swapped in: every chunk's CRC-32C, the
 * chunk sequence, strictly ascending keys, the entry count in the final
 * chunk, and that the meta record inside matches the header (index, term,
 * revision, store format).
 */
import { rm } from 'node:fs/promises';
import { decodeRecord } from './codec.js';
import { SnapshotCorruptError, SnapshotOutdatedError } from './errors.js';
import { META_KEY, toBuffer } from './keys.js';
import { STORE_FORMAT_VERSION, type MetaState } from './meta.js';
import { decodeChunk, type ChunkBody, type SnapshotChunk, type SnapshotHeader } from './snapshot-format.js';
import { openDb, type Db } from './store.js';

class ChunkChecker {
  private nextSeq = 0;
  private lastKey: Uint8Array | null = null;
  private pairs = 0;
  header: SnapshotHeader | null = null;
  ended = false;

  constructor(private readonly appliedIndex: number) {}

  check(body: ChunkBody): void {
    if (this.ended) throw new SnapshotCorruptError(`snapshot chunk ${body.seq} arrived after the final chunk`);
    if (body.seq !== this.nextSeq)
      throw new SnapshotCorruptError(`snapshot chunk ${body.seq} arrived; expected ${this.nextSeq}`);
    if ((body.header !== null) !== (body.seq === 0))
      throw new SnapshotCorruptError('only the first snapshot chunk carries the header');
    if (body.header !== null) {
      if (body.header.index <= this.appliedIndex) throw new SnapshotOutdatedError(body.header.index, this.appliedIndex);
      this.header = body.header;
    }
    for (let i = 0; i < body.pairs.length; i += 2) {
      const key = body.pairs[i]!;
      if (this.lastKey !== null && Buffer.compare(this.lastKey, key) >= 0) {
        throw new SnapshotCorruptError(`snapshot keys are not strictly ascending (chunk ${body.seq})`);
      }
      this.lastKey = key;
    }
    this.pairs += body.pairs.length / 2;
    this.nextSeq += 1;
    if (body.end !== null) {
      if (body.end.pairs !== this.pairs) {
        throw new SnapshotCorruptError(`snapshot has ${this.pairs} entries but its final chunk says ${body.end.pairs}`);
      }
      this.ended = true;
    }
  }
}

async function writePairs(db: Db, pairs: readonly Uint8Array[]): Promise<void> {
  if (pairs.length === 0) return;
  const batch = db.batch();
  for (let i = 0; i < pairs.length; i += 2) batch.put(Buffer.from(pairs[i]!), Buffer.from(pairs[i + 1]!));
  await batch.write();
}

async function verifyMeta(db: Db, header: SnapshotHeader): Promise<void> {
  const bytes = await db.get(toBuffer(META_KEY));
  if (bytes === undefined) throw new SnapshotCorruptError('snapshot has no meta record');
  const meta = decodeRecord<MetaState>(bytes);
  if (meta.formatVersion !== STORE_FORMAT_VERSION) {
    throw new SnapshotCorruptError(`snapshot store format ${meta.formatVersion} is not ${STORE_FORMAT_VERSION}`);
  }
  if (meta.appliedIndex !== header.index || meta.appliedTerm !== header.term || meta.revision !== header.revision) {
    throw new SnapshotCorruptError(
      `snapshot header (index ${header.index}, term ${header.term}) disagrees with its content ` +
        `(index ${meta.appliedIndex}, term ${meta.appliedTerm})`,
    );
  }
  // Rewrite the meta record with fsync: everything before it reaches the disk too.
  await db.put(toBuffer(META_KEY), bytes, { sync: true });
}

/**
 * Builds a complete, verified database at `location` (replacing whatever
 * partial build was there) and closes it. Refuses snapshots at or below
 * `appliedIndex`.
 */
export async function buildFromChunks(
  location: string,
  chunks: AsyncIterable<SnapshotChunk>,
  appliedIndex: number,
): Promise<SnapshotHeader> {
  await rm(location, { recursive: true, force: true });
  const db = await openDb(location);
  try {
    const checker = new ChunkChecker(appliedIndex);
    for await (const chunk of chunks) {
      const body = decodeChunk(chunk);
      checker.check(body);
      await writePairs(db, body.pairs);
    }
    if (!checker.ended || checker.header === null)
      throw new SnapshotCorruptError('snapshot stream ended before its final chunk');
    await verifyMeta(db, checker.header);
    await db.close();
    return checker.header;
  } catch (err) {
    await db.close();
    await rm(location, { recursive: true, force: true });
    throw err;
  }
}
