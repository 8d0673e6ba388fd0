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
import { assert } from '../raft/core/errors.js';
import { asBuffer } from '../util/bytes.js';
import { decodeRecord } from './codec.js';
import { SnapshotAbortedError, SnapshotCorruptError, SnapshotOutdatedError } from './errors.js';
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

/** Writes `pairs` as one batch; LevelDB's 'buffer' encoding takes Buffers, views of the chunk (no copy). */
function writePairs(db: Db, pairs: readonly Uint8Array[]): Promise<void> {
  if (pairs.length === 0) return Promise.resolve();
  const batch = db.batch();
  for (let i = 0; i < pairs.length; i += 2) batch.put(asBuffer(pairs[i]!), asBuffer(pairs[i + 1]!));
  return batch.write();
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
 * A database being built at `location` from snapshot chunks as they arrive
 * (beside the live one, which it never touches). Calls to add() do not
 * overlap; each decodes and checks its chunk and starts writing its pairs,
 * which then proceed while the caller fetches the next chunk (one write in
 * flight at most: the next add() or finish() waits for it). finish() checks
 * that the stream was complete, verifies the meta record and closes the
 * database; abort() closes and removes it. After a failure, only abort().
 */
export class RestoreBuild {
  private readonly checker: ChunkChecker;
  private writing: Promise<void> = Promise.resolve();
  private state: 'building' | 'finished' | 'aborted' = 'building';
  private verified: SnapshotHeader | null = null;

  private constructor(
    readonly location: string,
    private readonly db: Db,
    appliedIndex: number,
  ) {
    this.checker = new ChunkChecker(appliedIndex);
  }

  /** Starts an empty build at `location` (replacing whatever partial build was there); refuses snapshots at or below `appliedIndex`. */
  static async start(location: string, appliedIndex: number): Promise<RestoreBuild> {
    await rm(location, { recursive: true, force: true });
    return new RestoreBuild(location, await openDb(location), appliedIndex);
  }

  private throwIfAborted(): void {
    if (this.state === 'aborted') throw new SnapshotAbortedError('the snapshot build was dropped (superseded, or its state machine closed)');
  }

  /** The verified snapshot's header once finish() resolved; null before. */
  get header(): SnapshotHeader | null {
    return this.state === 'finished' ? this.verified : null;
  }

  /** Throws SnapshotAbortedError once the build was dropped (superseded by a newer one, or its state machine closed). */
  async add(chunk: SnapshotChunk): Promise<void> {
    assert(this.state !== 'finished', 'add() after finish()');
    this.throwIfAborted();
    const body = decodeChunk(chunk);
    this.checker.check(body);
    await this.writing;
    this.throwIfAborted();
    this.writing = writePairs(this.db, body.pairs);
    this.writing.catch(() => {}); // observed by the next add() or finish()
  }

  /** The header of the complete, verified snapshot; the database is closed and ready to swap in. */
  async finish(): Promise<SnapshotHeader> {
    assert(this.state !== 'finished', 'finish() twice');
    this.throwIfAborted();
    await this.writing;
    this.throwIfAborted();
    if (!this.checker.ended || this.checker.header === null)
      throw new SnapshotCorruptError('snapshot stream ended before its final chunk');
    await verifyMeta(this.db, this.checker.header);
    await this.db.close();
    this.state = 'finished';
    this.verified = this.checker.header;
    return this.checker.header;
  }

  /** Drops the build (closed and removed). Idempotent. */
  async abort(): Promise<void> {
    if (this.state === 'aborted') return;
    const wasOpen = this.state === 'building';
    this.state = 'aborted';
    if (wasOpen) {
      await this.writing.catch(() => {});
      await this.db.close();
    }
    await rm(this.location, { recursive: true, force: true });
  }
}
