/**
 * Staging of applied writes: every write goes into an in-memory overlay and
 * reaches LevelDB as ONE batch (with the meta record) when the write-behind
 * (write-behind.ts) submits it; one such batch gathers the writes of every
 * apply() since the previous one was submitted.
 *
 * Layers:
 * - CommandTxn: the writes of the command being applied. On success they are
 *   folded into the batch; on rejection they are dropped, so a rejected
 *   command never leaves a partial write behind.
 * - BatchWrites: the writes of all commands applied since the last submission.
 * - its `previous`: the batch submitted to LevelDB and not yet written, if any
 *   (read-only from then on; dropped once LevelDB has it).
 *
 * Reads see, in order: the command's writes, the batch's, the previous
 * batch's, LevelDB. Only one apply runs at a time and LevelDB changes only by
 * the previous batch's write, whose keys the overlay already shows, so what
 * the applier reads does not change underneath it.
 */
import { assert } from '../raft/core/errors.js';
import { decodeRecord, encodeRecord } from './codec.js';
import type { ChangeEvent } from './events.js';
import { toBuffer, type KeyRange, type StoreKey } from './keys.js';
import type { MetaState } from './meta.js';
import { readSync, scanDb, type Db } from './store.js';

/** A pending value; null marks a delete. */
type Pending = Buffer | null;

export class BatchWrites {
  readonly writes = new Map<StoreKey, Pending>();

  /** @param previous the batch being written to LevelDB when this one was started (see forgetPrevious). */
  constructor(
    readonly db: Db,
    private previous: BatchWrites | null = null,
  ) {
    assert(previous === null || previous.previous === null, 'at most one batch is being written behind this one');
  }

  get(key: StoreKey): Buffer | undefined {
    let pending = this.writes.get(key);
    if (pending === undefined && this.previous !== null) pending = this.previous.writes.get(key);
    if (pending !== undefined) return pending ?? undefined; // null: deleted
    return readSync(this.db, key);
  }

  /** Overlays over LevelDB, oldest first: the previous batch's writes (while held), then this one's. */
  get layers(): readonly ReadonlyMap<StoreKey, Pending>[] {
    return this.previous === null ? [this.writes] : [this.previous.writes, this.writes];
  }

  /** The previous batch is in LevelDB now: read it from there. */
  forgetPrevious(): void {
    this.previous = null;
  }

  /** Writes staged (puts and deletes). */
  get size(): number {
    return this.writes.size;
  }

  put(key: StoreKey, value: Buffer): void {
    this.writes.set(key, value);
  }

  del(key: StoreKey): void {
    this.writes.set(key, null);
  }

  /**
   * Writes everything staged as ONE LevelDB batch (atomic: all or nothing).
   * Unsorted: each key appears once, so order does not matter to LevelDB. A
   * chained batch: measured faster than an array batch here, whose
   * per-operation option handling dominated the apply profile.
   */
  async write(options: { sync: boolean }): Promise<void> {
    const chained = this.db.batch();
    for (const [key, value] of this.writes) {
      if (value === null) chained.del(toBuffer(key));
      else chained.put(toBuffer(key), value);
    }
    await chained.write(options);
  }
}

/** Counter changes of one command, applied to the meta record only if it succeeds. */
export interface CounterDelta {
  nodes: number;
  models: number;
  kvKeys: number;
  kvBytes: number;
}

export class CommandTxn {
  private readonly writes = new Map<StoreKey, Pending>();
  readonly events: ChangeEvent[] = [];
  readonly delta: CounterDelta = { nodes: 0, models: 0, kvKeys: 0, kvBytes: 0 };
  /** Set by ops that change what the scheduler reads (nodes, models, assignments). */
  schedulingChanged = false;
  /** Set by a placement: the leader term it carried. */
  placementTerm = 0;

  /**
   * @param meta the state before this command (read-only here)
   * @param revision the revision this command gets if it writes anything
   */
  constructor(
    private readonly batch: BatchWrites,
    readonly meta: Readonly<MetaState>,
    readonly revision: number,
  ) {
    assert(revision === meta.revision + 1, 'a command writes at the next revision');
  }

  get(key: StoreKey): Buffer | undefined {
    const pending = this.writes.get(key);
    if (pending !== undefined) return pending ?? undefined;
    return this.batch.get(key);
  }

  getRecord<T>(key: StoreKey): T | undefined {
    const bytes = this.get(key);
    return bytes === undefined ? undefined : decodeRecord<T>(bytes);
  }

  put(key: StoreKey, record: unknown): void {
    this.writes.set(key, encodeRecord(record));
  }

  del(key: StoreKey): void {
    this.writes.set(key, null);
  }

  emit(event: ChangeEvent): void {
    this.events.push(event);
  }

  get hasWrites(): boolean {
    return this.writes.size > 0;
  }

  /**
   * Up to `limit` live entries of `range` in key order, merging LevelDB with
   * the pending writes of the batch and of this command.
   */
  async scan(range: KeyRange, limit: number): Promise<[StoreKey, Buffer][]> {
    const overlay = new Map<StoreKey, Pending>();
    for (const layer of [...this.batch.layers, this.writes]) {
      for (const [key, value] of layer) if (key >= range.gte && key < range.lt) overlay.set(key, value);
    }
    const overlayKeys = [...overlay.keys()].sort();
    const deletes = overlayKeys.filter((key) => overlay.get(key) === null).length;
    const out: [StoreKey, Buffer][] = [];
    let next = 0;
    const takeOverlayBelow = (bound: StoreKey | null): void => {
      while (next < overlayKeys.length && (bound === null || overlayKeys[next]! < bound) && out.length < limit) {
        const key = overlayKeys[next++]!;
        const value = overlay.get(key)!;
        if (value !== null) out.push([key, value]);
      }
    };
    // Deleted keys may hide stored ones, so read that many extra from LevelDB.
    for await (const [key, stored] of scanDb(this.batch.db, range, { limit: limit + deletes })) {
      takeOverlayBelow(key);
      if (out.length >= limit) break;
      if (overlayKeys[next] === key) {
        const value = overlay.get(key)!;
        next += 1;
        if (value !== null) out.push([key, value]);
      } else {
        out.push([key, stored]);
      }
      if (out.length >= limit) break;
    }
    takeOverlayBelow(null);
    return out;
  }

  /** Folds this command's writes into the batch (on success only). */
  commitInto(batch: BatchWrites): void {
    assert(batch === this.batch, 'a command commits into its own batch');
    for (const [key, value] of this.writes) {
      if (value === null) batch.del(key);
      else batch.put(key, value);
    }
  }
}
