/**
 * The replicated state machine of one replica: committed Raft entries in,
 * LevelDB state out, plus consistent reads, watches and snapshots.
 *
 * Contracts with the driver (the server's Raft loop):
 * - apply() calls never overlap, and never overlap installRestore() (the swap
 *   that ends restoreSnapshot(); a snapshot may be built meanwhile); entries
 *   come in log order. Entries at or below the applied index are skipped; the
 *   first new entry must be applied + 1 (asserted).
 * - Applied batches reach LevelDB behind the applier (write-behind.ts): every
 *   LevelDB write holds whole applies and the meta record of the newest, so
 *   after a crash the state is exactly "all entries up to the stored applied
 *   index": replaying the WAL from there neither repeats nor skips one.
 * - applyBatch() hands back the results as soon as the batch is applied in
 *   memory, and its LevelDB write as a promise: the driver answers clients at
 *   once, because the entries are already durable in the Raft log. Reads,
 *   watches' history, snapshots and sync first flush what is applied, so
 *   nothing ever reads older state than a write acknowledged before it
 *   started. Live watchers get a batch's events once it is in LevelDB.
 * - A storage failure during apply or a swap leaves this instance failed
 *   (StateMachineFailedError on every call); reopening the directory recovers.
 *
 * Reads, watches and snapshot streams may run at any time concurrently with
 * apply; each reads one point-in-time LevelDB snapshot.
 */
import { mkdir } from 'node:fs/promises';
import { AssertionError, assert } from '../raft/core/errors.js';
import { logIndex, term, type Entry, type LogIndex, type Term } from '../raft/core/types.js';
import { applyEntry, type ApplyContext } from './apply.js';
import type { Command } from './commands.js';
import { ChangeLogSizes } from './changelog-sizes.js';
import { readHistory } from './changelog.js';
import { decodeRecord, encodeRecord } from './codec.js';
import {
  checkStoredLimits,
  resolveLocalSettings,
  resolveReplicatedLimits,
  type LocalSettings,
  type ReplicatedLimits,
  type StateMachineOptions,
} from './config.js';
import {
  SnapshotAbortedError,
  SnapshotOutdatedError,
  StateMachineClosedError,
  StateMachineFailedError,
  StoreOpenError,
  TooManyReadersError,
} from './errors.js';
import { META_KEY, toBuffer } from './keys.js';
import { assertMeta, copyMeta, initialMeta, STORE_FORMAT_VERSION, type MetaState } from './meta.js';
import { ReadView } from './reads.js';
import { RestoreBuild } from './restore.js';
import type { ApplyResult } from './results.js';
import { SessionTable } from './sessions.js';
import type { SnapshotChunk } from './snapshot-format.js';
import { snapshotSource, type SnapshotSource } from './snapshot-stream.js';
import { OwnProposals } from './own-proposals.js';
import { openDb, readSync, type Db, type DbSnapshot } from './store.js';
import { nodeFileOps, recoverSwap, statePaths, swapIn, type FileOps, type StatePaths } from './swap.js';
import { WatchHub, type WatchOptions, type WatchSource, type Watcher } from './watch.js';
import { WriteBehind } from './write-behind.js';

export type { SnapshotSource } from './snapshot-stream.js';

/** A batch applied in memory (see applyBatch). */
export interface AppliedBatch {
  /** One result per entry given (skipped ones included). */
  readonly results: ApplyResult[];
  /** Settles once the batch is in LevelDB; rejects with StateMachineFailedError if that failed. */
  readonly stored: Promise<void>;
}

export interface StateMachineStatus {
  readonly appliedIndex: LogIndex;
  readonly appliedTerm: Term;
  readonly revision: number;
  readonly schedulingRevision: number;
  /** Oldest revision a watch can start from. */
  readonly changeLogFirstRevision: number;
  readonly nodes: number;
  readonly models: number;
  readonly kvKeys: number;
  readonly kvBytes: number;
  readonly sessions: number;
  readonly watchers: number;
  readonly limits: ReplicatedLimits;
}

interface Loaded {
  readonly db: Db;
  readonly meta: MetaState;
  readonly sessions: SessionTable;
}

async function loadDatabase(location: string, givenLimits: Partial<ReplicatedLimits> | undefined): Promise<Loaded> {
  const db = await openDb(location);
  try {
    const bytes = readSync(db, META_KEY);
    let meta: MetaState;
    if (bytes === undefined) {
      meta = initialMeta(resolveReplicatedLimits(givenLimits));
      await db.put(toBuffer(META_KEY), encodeRecord(meta), { sync: true });
    } else {
      meta = decodeRecord<MetaState>(bytes);
      if (meta.formatVersion !== STORE_FORMAT_VERSION) {
        throw new StoreOpenError(`state database format ${meta.formatVersion} is not ${STORE_FORMAT_VERSION}`);
      }
      resolveReplicatedLimits(givenLimits);
      checkStoredLimits(meta.limits, givenLimits);
    }
    assertMeta(meta);
    return { db, meta, sessions: await SessionTable.load(db, meta.limits.sessionsMax) };
  } catch (err) {
    await db.close();
    throw err;
  }
}

type Lifecycle = 'open' | 'failed' | 'closed';

/** Change-log record sizes the applier keeps in memory (8 bytes each): the default retention of 10,000 fits. */
const CHANGE_LOG_SIZES_HELD = 65_536;

/**
 * Own proposals held for apply (own-proposals.ts): as many as a replica has
 * in flight (the server's proposalsMax), and up to 64 MiB of them (of 256 B
 * puts, all 65,536; of the largest commands, ~60), beyond which the oldest are
 * decoded at apply as a follower does.
 */
const OWN_PROPOSALS_HELD_MAX = 65_536;
const OWN_PROPOSALS_HELD_BYTES_MAX = 64 * 1024 * 1024;

export class StateMachine {
  private state: Lifecycle = 'open';
  private failure: unknown = null;
  private applying = false;
  private restoring = false;
  private readers = 0;
  private readersDrained: (() => void) | null = null;
  private swapping: Promise<void> | null = null;
  /** The snapshot being built beside the live database, or built and not yet installed (see beginRestore). */
  private build: RestoreBuild | null = null;
  private restoreSteps: Promise<unknown> = Promise.resolve();
  private snapshotStreams = 0;
  private readonly hub: WatchHub;
  private readonly watchSource: WatchSource;
  /**
   * The applier's state: `meta` after the last applyBatch(). Ahead of `meta`
   * (what LevelDB holds) by the batches the write-behind holds.
   */
  private appliedMeta: MetaState;
  private readonly writeBehind: WriteBehind;
  /** Sizes of the newest change-log records this instance wrote (changelog-sizes.ts). */
  private readonly changeLogSizes = new ChangeLogSizes(CHANGE_LOG_SIZES_HELD);
  /** Commands this replica encoded for proposal; applying them skips decoding (own-proposals.ts). */
  private readonly ownProposals = new OwnProposals(OWN_PROPOSALS_HELD_MAX, OWN_PROPOSALS_HELD_BYTES_MAX);

  private constructor(
    private readonly paths: StatePaths,
    private readonly settings: LocalSettings,
    private readonly fileOps: FileOps,
    private db: Db,
    /** What LevelDB holds: reads and watches' history see this. */
    private meta: MetaState,
    private sessions: SessionTable,
  ) {
    this.appliedMeta = meta;
    this.hub = new WatchHub(settings.watchersMax, {
      bufferEventsMax: settings.watchBufferEventsMax,
      bufferBytesMax: settings.watchBufferBytesMax,
      historyPageRevisions: settings.watchHistoryPageRevisions,
    });
    this.writeBehind = new WriteBehind(
      () => this.db,
      { delayMs: settings.storeDelayMs, writesMax: settings.storeWritesMax, sync: settings.syncWrites },
      {
        seal: (batch, meta) => {
          this.sessions.writeChangedHeads(batch);
          batch.put(META_KEY, encodeRecord(meta));
        },
        stored: (storedMeta, events) => {
          this.meta = storedMeta;
          this.hub.publish(events, storedMeta.revision);
        },
        failed: (err) => {
          this.poison(err);
          return new StateMachineFailedError('storing an applied batch failed; reopen the state machine to recover', {
            cause: err,
          });
        },
      },
    );
    this.watchSource = {
      committedRevision: () => this.meta.revision,
      oldestRevision: () => this.appliedMeta.changeLogFirstRevision,
      appliedRevision: () => this.appliedMeta.revision,
      readHistory: (from, revisionsMax, bytesMax) => this.readChangeLog(from, revisionsMax, bytesMax),
    };
  }

  /**
   * Opens (or creates) the state in `dir`, first finishing or discarding an
   * interrupted snapshot swap. Throws FsmConfigError, StoreOpenError.
   */
  static async open(dir: string, options: StateMachineOptions = {}): Promise<StateMachine> {
    const settings = resolveLocalSettings(options);
    const fileOps = options.fileOps ?? nodeFileOps;
    const paths = statePaths(dir);
    await mkdir(dir, { recursive: true });
    await recoverSwap(paths, fileOps);
    const loaded = await loadDatabase(paths.db, options.replicatedLimits);
    return new StateMachine(paths, settings, fileOps, loaded.db, loaded.meta, loaded.sessions);
  }

  /**
   * Validates and encodes a command this replica is about to propose
   * (encodeCommand: same errors); applying the entry with exactly these bytes
   * then skips decoding them (own-proposals.ts).
   */
  encodeProposal(command: Command): Uint8Array {
    return this.ownProposals.encode(command);
  }

  /** The proposal of bytes from encodeProposal failed: no longer hold its command. */
  forgetProposal(data: Uint8Array): void {
    this.ownProposals.forget(data);
  }

  /** Own proposals applied without decoding, and those held now (for tests and diagnostics). */
  get ownProposalStats(): { readonly hits: number; readonly held: number } {
    return { hits: this.ownProposals.hits, held: this.ownProposals.size };
  }

  get appliedIndex(): LogIndex {
    return logIndex(this.appliedMeta.appliedIndex);
  }

  get revision(): number {
    return this.appliedMeta.revision;
  }

  status(): StateMachineStatus {
    const m = this.appliedMeta;
    return {
      appliedIndex: logIndex(m.appliedIndex),
      appliedTerm: term(m.appliedTerm),
      revision: m.revision,
      schedulingRevision: m.schedulingRevision,
      changeLogFirstRevision: m.changeLogFirstRevision,
      nodes: m.nodeCount,
      models: m.modelCount,
      kvKeys: m.kvKeyCount,
      kvBytes: m.kvBytes,
      sessions: this.sessions.size,
      watchers: this.hub.size,
      limits: m.limits,
    };
  }

  /** Applies committed entries and stores them now; one result per entry given (skipped ones included). */
  async apply(entries: readonly Entry[]): Promise<ApplyResult[]> {
    const batch = await this.applyBatch(entries);
    await this.stored();
    await batch.stored;
    return batch.results;
  }

  /**
   * Applies committed entries in memory and hands them to the write-behind:
   * the results are final (the write cannot change them) and `stored` settles
   * when LevelDB has them. Waits first only while the write-behind is full.
   */
  async applyBatch(entries: readonly Entry[]): Promise<AppliedBatch> {
    this.checkUsable();
    assert(!this.applying && !this.restoring, 'apply does not overlap apply or restoreSnapshot');
    this.applying = true;
    try {
      await this.writeBehind.room();
      this.checkUsable();
      return await this.applyExclusive(entries);
    } finally {
      this.applying = false;
    }
  }

  private async applyExclusive(entries: readonly Entry[]): Promise<AppliedBatch> {
    const applied = this.appliedMeta.appliedIndex;
    const skipped = entries.filter((e) => e.index <= applied);
    const fresh = entries.slice(skipped.length);
    assert(
      fresh.every((e) => e.index > applied),
      'entries ascend: skipped ones come first',
    );
    fresh.forEach((e, i) => {
      assert(
        e.index === applied + 1 + i,
        `entry ${e.index} must be ${applied + 1 + i} (contiguous after applied ${applied})`,
      );
      assert(
        e.term >= (i === 0 ? this.appliedMeta.appliedTerm : fresh[i - 1]!.term),
        `entry ${e.index} has a non-decreasing term`,
      );
    });
    const results: ApplyResult[] = skipped.map((e) => ({
      index: e.index,
      revision: this.appliedMeta.revision,
      outcome: { status: 'skipped' },
      duplicate: false,
    }));
    if (fresh.length === 0) return { results, stored: Promise.resolve() };
    const ctx: ApplyContext = {
      batch: this.writeBehind.batchForApply(),
      meta: copyMeta(this.appliedMeta),
      sessions: this.sessions,
      events: [],
      changeLogSizes: this.changeLogSizes,
      ownProposals: this.ownProposals,
    };
    try {
      for (const entry of fresh) results.push(await applyEntry(ctx, entry));
    } catch (err) {
      const failed = new StateMachineFailedError('applying a batch failed; reopen the state machine to recover', { cause: err });
      this.poison(err);
      this.writeBehind.discard(failed); // it may hold part of this batch
      if (err instanceof AssertionError) throw err;
      throw failed;
    }
    assertMeta(ctx.meta);
    this.appliedMeta = ctx.meta;
    return { results, stored: this.writeBehind.applied(ctx.meta, ctx.events) };
  }

  /** Waits until LevelDB holds every batch applied before the call (see write-behind.ts). */
  private stored(): Promise<void> {
    return this.writeBehind.flush();
  }

  /**
   * Runs `read` on one consistent view of the applied state. The view is
   * valid only until `read` settles; keep it short (a restore waits for it).
   */
  async read<T>(read: (view: ReadView) => Promise<T>): Promise<T> {
    return this.withSnapshot(async (db, snapshot) => {
      const meta = await ReadView.readMeta(db, snapshot);
      return read(new ReadView(db, snapshot, meta, this.settings.readPageItemsMax));
    });
  }

  /**
   * Opens a watch (see watch.ts). Throws CompactedError when `fromRevision`
   * is older than the change log, ValidationError, TooManyReadersError.
   */
  watch(options: WatchOptions = {}): Watcher {
    this.checkUsable();
    // The applied oldest revision: one LevelDB still holds but an applied batch dropped is gone by
    // the time its history is read (reads flush first), so it is refused now, as status() says.
    return this.hub.open(this.watchSource, options, this.appliedMeta.changeLogFirstRevision);
  }

  /**
   * Ends every open watcher with WatchCancelledError 'closed' (each carrying
   * its resume revision), e.g. when the server stops: watches never finish on
   * their own. Later watch() calls still open new watchers.
   */
  cancelWatches(): void {
    this.hub.cancelAll('closed');
  }

  /** A point-in-time snapshot of the whole state, to stream in chunks. */
  async createSnapshot(): Promise<SnapshotSource> {
    await this.stored();
    await this.waitForSwap();
    this.checkUsable();
    if (this.snapshotStreams >= this.settings.snapshotStreamsMax) {
      throw new TooManyReadersError('snapshots', this.settings.snapshotStreamsMax);
    }
    const db = this.db;
    const snapshot = db.snapshot();
    this.snapshotStreams += 1;
    let released = false;
    const release = async (): Promise<void> => {
      if (released) return;
      released = true;
      this.snapshotStreams -= 1;
      await snapshot.close();
    };
    try {
      const meta = await ReadView.readMeta(db, snapshot);
      const members = await new ReadView(db, snapshot, meta, this.settings.readPageItemsMax).listMembers();
      return snapshotSource(db, snapshot, meta, members, this.settings.snapshotChunkBytes, release);
    } catch (err) {
      await release();
      throw err;
    }
  }

  /**
   * Installs a snapshot received in chunks: builds and verifies a new database
   * beside the live one, then swaps it in (beginRestore, installRestore). On a
   * verification failure (SnapshotCorruptError, SnapshotOutdatedError) nothing
   * changes.
   */
  async restoreSnapshot(
    chunks: AsyncIterable<SnapshotChunk>,
  ): Promise<{ index: LogIndex; term: Term; revision: number }> {
    const build = await this.beginRestore();
    try {
      for await (const chunk of chunks) await build.add(chunk);
      await build.finish();
    } catch (err) {
      await this.dropRestore(build);
      throw err;
    }
    return this.installRestore(build);
  }

  /**
   * Starts building a database from a snapshot whose chunks arrive over time
   * (RestoreBuild: add() each chunk, then finish()) beside the live one, which
   * keeps serving and applying meanwhile. One build at a time: a build still
   * held (running, or finished and not installed) is aborted, superseded.
   * A snapshot at or below the applied index is refused at its first chunk.
   */
  beginRestore(): Promise<RestoreBuild> {
    return this.restoreStep(async () => {
      this.checkUsable();
      await this.dropHeldBuild();
      const build = await RestoreBuild.start(this.paths.restore, this.appliedMeta.appliedIndex);
      this.build = build;
      return build;
    });
  }

  /** Aborts `build` (its directory removed) if it is still the one held; else it was superseded or installed already. */
  dropRestore(build: RestoreBuild): Promise<void> {
    return this.restoreStep(async () => {
      if (this.build === build) await this.dropHeldBuild();
    });
  }

  /**
   * Swaps a finished build in (crash-safe, see swap.ts); live watchers are
   * cancelled (WatchCancelledError 'restored'). Nothing changes when it throws
   * SnapshotAbortedError (the build was superseded) or SnapshotOutdatedError
   * (this state machine applied up to the snapshot meanwhile; the build is
   * dropped).
   */
  installRestore(build: RestoreBuild): Promise<{ index: LogIndex; term: Term; revision: number }> {
    return this.restoreStep(async () => {
      this.checkUsable();
      if (this.build !== build) throw new SnapshotAbortedError('the snapshot build was superseded by a newer one');
      const header = build.header;
      assert(header !== null, 'installRestore after the build finished');
      assert(!this.applying && !this.restoring, 'installRestore does not overlap apply or another restore');
      this.restoring = true;
      try {
        await this.stored();
        this.checkUsable();
        if (header.index <= this.meta.appliedIndex) {
          await this.dropHeldBuild();
          throw new SnapshotOutdatedError(header.index, this.meta.appliedIndex);
        }
        this.build = null; // its directory becomes the live database
        await this.swapDatabase();
        assert(this.meta.appliedIndex === header.index, 'after a restore the applied index is the snapshot index');
        return { index: logIndex(header.index), term: term(header.term), revision: header.revision };
      } finally {
        this.restoring = false;
      }
    });
  }

  /** Runs `step` after every earlier start, drop and install of a build: they share one directory. */
  private restoreStep<T>(step: () => Promise<T>): Promise<T> {
    const result = this.restoreSteps.then(step);
    this.restoreSteps = result.catch(() => undefined);
    return result;
  }

  private async dropHeldBuild(): Promise<void> {
    const build = this.build;
    this.build = null;
    await build?.abort();
  }

  private async swapDatabase(): Promise<void> {
    let swapped!: () => void;
    this.swapping = new Promise<void>((resolve) => (swapped = resolve));
    try {
      await this.drainReaders();
      this.hub.cancelAll('restored');
      await this.db.close();
      await swapIn(this.paths, this.fileOps);
      const loaded = await loadDatabase(this.paths.db, undefined);
      this.db = loaded.db;
      this.meta = loaded.meta;
      this.appliedMeta = loaded.meta;
      this.changeLogSizes.clear();
      this.sessions = loaded.sessions;
    } catch (err) {
      this.poison(err);
      if (err instanceof AssertionError) throw err;
      throw new StateMachineFailedError('installing a snapshot failed; reopen the state machine to recover', {
        cause: err,
      });
    } finally {
      this.swapping = null;
      swapped();
    }
  }

  /**
   * Makes every applied batch durable (one fsync) and returns the applied
   * index that is now on disk. Call before letting the WAL drop entries.
   */
  async sync(): Promise<LogIndex> {
    await this.stored();
    this.checkUsable();
    const durable = this.meta.appliedIndex;
    // A delete of an absent key: no content change, but an fsync of LevelDB's log.
    await this.db.batch([{ type: 'del', key: toBuffer('_sync') }], { sync: true });
    return logIndex(durable);
  }

  /** Closes the database; watchers end with WatchCancelledError 'closed'. Idempotent. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    assert(!this.applying && !this.restoring, 'close after apply and restore have finished');
    await this.stored().catch(() => undefined); // after a failure nothing more is written; the database still closes
    if ((this.state as Lifecycle) === 'closed') return; // closed by a concurrent call meanwhile
    await this.restoreStep(() => this.dropHeldBuild()).catch(() => undefined); // a build is only a directory to remove
    if ((this.state as Lifecycle) === 'closed') return;
    this.state = 'closed';
    this.hub.cancelAll('closed');
    await this.drainReaders();
    await this.db.close();
  }

  private poison(err: unknown): void {
    this.state = 'failed';
    this.failure = err;
    this.hub.cancelAll('closed');
  }

  private checkUsable(): void {
    if (this.state === 'closed') throw new StateMachineClosedError();
    if (this.state === 'failed') {
      throw new StateMachineFailedError('the state machine failed earlier; reopen it', { cause: this.failure });
    }
  }

  private async waitForSwap(): Promise<void> {
    while (this.swapping !== null) await this.swapping;
  }

  private async withSnapshot<T>(read: (db: Db, snapshot: DbSnapshot) => Promise<T>): Promise<T> {
    await this.stored();
    await this.waitForSwap();
    this.checkUsable();
    const db = this.db;
    const snapshot = db.snapshot();
    this.readers += 1;
    try {
      return await read(db, snapshot);
    } finally {
      await snapshot.close();
      this.readers -= 1;
      if (this.readers === 0) this.readersDrained?.();
    }
  }

  private async drainReaders(): Promise<void> {
    while (this.readers > 0) await new Promise<void>((resolve) => (this.readersDrained = resolve));
    this.readersDrained = null;
  }

  private readChangeLog(from: number, revisionsMax: number, bytesMax: number) {
    return this.withSnapshot(async (db, snapshot) => {
      const meta = await ReadView.readMeta(db, snapshot);
      const firstRevision = meta.changeLogFirstRevision;
      if (from < firstRevision) return { page: { events: [], throughRevision: from - 1 }, firstRevision };
      return { page: await readHistory(db, snapshot, from, revisionsMax, bytesMax), firstRevision };
    });
  }
}
