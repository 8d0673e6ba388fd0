/**
 * Write-behind from the applier to LevelDB: applied batches gather in one
 * pending BatchWrites, which is written as ONE LevelDB batch when
 *   - `delayMs` passed since it started (0: on the next turn of the event loop),
 *   - it holds `writesMax` keys (the applier then waits, see room()), or
 *   - somebody needs LevelDB to show everything applied (flush(): reads,
 *     watch history, snapshots, sync, close),
 * and never while an earlier write is in flight (LevelDB writes land in apply
 * order, one at a time) nor while an apply is staging into it (an apply may
 * await a LevelDB scan half-way; only whole applies are written). Applying goes on meanwhile; its reads see the batch
 * being written through the pending batch's overlay (batch.ts).
 *
 * Why: handing a batch to LevelDB costs the event loop ~0.1 ms (a thread-pool
 * round trip) whatever its size, and a write's key is often written again soon
 * (a session's head, the meta record, a change-log record retention deletes):
 * one batch per few milliseconds instead of one per apply saves both.
 *
 * Safe because every applied entry is already durable in the Raft log: after a
 * crash the state machine replays from the applied index LevelDB holds. Each
 * LevelDB batch is sealed with the meta record of its newest apply (hooks.seal),
 * so what LevelDB holds is always exactly "every entry up to its applied index".
 *
 * Bounds: at most two batches in memory (one pending, one being written), the
 * pending one at most `writesMax` keys plus the one apply that crossed it.
 */
import { assert } from '../raft/core/errors.js';
import { BatchWrites } from './batch.js';
import type { WatchEvent } from './events.js';
import type { MetaState } from './meta.js';
import type { Db } from './store.js';

export interface WriteBehindOptions {
  /** How long a pending batch gathers applies before it is written; 0: the next turn of the event loop. */
  readonly delayMs: number;
  /** Keys a pending batch holds before the applier waits for it to be submitted. */
  readonly writesMax: number;
  /** fsync each LevelDB write. */
  readonly sync: boolean;
}

export interface WriteBehindHooks {
  /**
   * Stages what belongs to a LevelDB write rather than to each apply (the meta
   * record of its newest apply, changed session heads), just before it is
   * submitted; no apply is staging then.
   */
  seal(batch: BatchWrites, meta: MetaState): void;
  /** A batch is in LevelDB: `meta` is what it holds now; `events` are its applies' events, in order. */
  stored(meta: MetaState, events: readonly WatchEvent[]): void;
  /** A LevelDB write failed: nothing is written after it. Returns the error its waiters get. */
  failed(err: unknown): Error;
}

/** Applies gathered for one LevelDB write. */
class Gathered {
  readonly events: WatchEvent[] = [];
  meta: MetaState | null = null;
  private settle!: { resolve: () => void; reject: (err: Error) => void };
  /** Settles when the batch is in LevelDB; rejects if it never will be. */
  readonly done: Promise<void>;
  /** Like `done`, but never rejects (for waiting on progress). */
  readonly settled: Promise<void>;

  constructor(readonly batch: BatchWrites) {
    this.done = new Promise<void>((resolve, reject) => (this.settle = { resolve, reject }));
    this.settled = this.done.then(
      () => undefined,
      () => undefined,
    );
  }

  resolve(): void {
    this.settle.resolve();
  }

  reject(err: Error): void {
    this.settle.reject(err);
  }
}

export class WriteBehind {
  private pending: Gathered | null = null;
  private inFlight: Gathered | null = null;
  /** The pending batch is to be submitted as soon as no write is in flight. */
  private due = false;
  private timer: NodeJS.Timeout | NodeJS.Immediate | null = null;
  private failure: Error | null = null;
  /** An apply is staging writes into the pending batch: between batchForApply() and applied(). */
  private staging = false;

  constructor(
    private readonly db: () => Db,
    private readonly options: WriteBehindOptions,
    private readonly hooks: WriteBehindHooks,
  ) {
    assert(options.delayMs >= 0 && options.writesMax >= 1, 'write-behind bounds are positive');
  }

  /** Whether anything applied is not yet in LevelDB. */
  get idle(): boolean {
    return this.pending === null && this.inFlight === null;
  }

  /**
   * Waits until the pending batch may take another apply: while it is over
   * `writesMax` keys, it is submitted as soon as the write in flight lands.
   */
  async room(): Promise<void> {
    for (;;) {
      this.checkUsable();
      const pending = this.pending;
      if (pending === null || pending.batch.size < this.options.writesMax) return;
      this.makeDue();
      if (this.pending === pending) await this.inFlight!.settled;
    }
  }

  /** The batch the next apply stages its writes in; applied() (or discard()) must follow. */
  batchForApply(): BatchWrites {
    this.checkUsable();
    assert(!this.staging, 'applies do not overlap');
    this.staging = true;
    if (this.pending === null) {
      this.pending = new Gathered(new BatchWrites(this.db(), this.inFlight?.batch ?? null));
      this.startTimer();
    }
    return this.pending.batch;
  }

  /**
   * An apply staged its writes (and the meta record) in batchForApply()'s
   * batch. Returns a promise settling once they are in LevelDB.
   */
  applied(meta: MetaState, events: readonly WatchEvent[]): Promise<void> {
    if (this.failure !== null) {
      // A write failed while this apply awaited half-way (discard() dropped its batch): it is never stored.
      const lost = Promise.reject(this.failure);
      lost.catch(() => undefined);
      return lost;
    }
    const pending = this.pending;
    assert(pending !== null && this.staging, 'applied() follows batchForApply()');
    this.staging = false;
    pending.meta = meta;
    for (const event of events) pending.events.push(event);
    this.submitIfDue(); // it may have become due while the apply was staging
    return pending.done;
  }

  /** Resolves once LevelDB holds everything applied before the call; rejects if it never will. */
  async flush(): Promise<void> {
    this.checkUsable();
    const last = this.pending ?? this.inFlight;
    if (last === null) return;
    if (last === this.pending) this.makeDue();
    await last.done;
  }

  /**
   * An apply failed half-way: the pending batch may hold part of it and must
   * never be written. Its waiters get `err`; later calls throw it.
   */
  discard(err: Error): void {
    this.failure ??= err;
    this.staging = false;
    this.clearTimer();
    this.pending?.reject(this.failure);
    this.pending = null;
  }

  private checkUsable(): void {
    if (this.failure !== null) throw this.failure;
  }

  private startTimer(): void {
    assert(this.timer === null, 'one timer per pending batch');
    const fire = () => {
      this.timer = null;
      this.makeDue();
    };
    this.timer = this.options.delayMs === 0 ? setImmediate(fire) : setTimeout(fire, this.options.delayMs);
  }

  private clearTimer(): void {
    if (this.timer === null) return;
    clearTimeout(this.timer as NodeJS.Timeout);
    clearImmediate(this.timer as NodeJS.Immediate);
    this.timer = null;
  }

  private makeDue(): void {
    this.due = true;
    this.submitIfDue();
  }

  private submitIfDue(): void {
    const gathered = this.pending;
    if (!this.due || gathered === null || this.inFlight !== null || this.staging || this.failure !== null) return;
    assert(gathered.meta !== null, 'a pending batch holds at least one apply');
    this.clearTimer();
    this.due = false;
    this.pending = null;
    this.inFlight = gathered;
    this.hooks.seal(gathered.batch, gathered.meta);
    gathered.batch.write({ sync: this.options.sync }).then(
      () => this.landed(gathered),
      (err: unknown) => this.writeFailed(gathered, err),
    );
  }

  private landed(gathered: Gathered): void {
    assert(this.inFlight === gathered, 'writes land one at a time');
    this.inFlight = null;
    this.pending?.batch.forgetPrevious();
    this.hooks.stored(gathered.meta!, gathered.events);
    gathered.resolve();
    this.submitIfDue();
  }

  private writeFailed(gathered: Gathered, err: unknown): void {
    this.inFlight = null;
    this.failure ??= this.hooks.failed(err);
    gathered.reject(this.failure);
    this.discard(this.failure);
  }
}
