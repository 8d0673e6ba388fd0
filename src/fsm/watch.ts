/**
 * Watchers: resumable streams of change events from a revision, filtered by
 * kind and key prefix.
 *
 * A watcher starts in catch-up mode: the consumer's pulls read the change log
 * page by page (from a LevelDB snapshot). Once it has read past the committed
 * revision it turns live: after every applied batch the hub offers it the
 * batch's events synchronously. Offering never waits; when a live watcher's
 * buffer would exceed its bound it is cancelled with WatchOverflowError, which
 * tells the revision to resume from. So apply never blocks and memory stays
 * bounded whatever the consumer does.
 *
 * No gaps, no duplicates: `nextRevision` is the first revision not yet taken
 * into the buffer; history pages and live batches only take revisions >= it.
 * The switch to live happens synchronously after a history read only when
 * nextRevision > committed revision, so every later batch is offered.
 *
 * Progress: a watcher whose filter matches nothing for a while still moves
 * its consumer's resume point, with a batch of no events (what etcd calls a
 * progress notification). Without it a consumer resuming after a broken
 * stream would resume from its last event, which the change log may have
 * dropped meanwhile: CompactedError, and a full re-list, though nothing it
 * watches had changed. One is due when the resume point last handed to the
 * consumer lies in the older half of what the change log holds: with the log
 * full that is one every half-window of revisions (5,000 at the default
 * retention of 10,000; fewer when retention by bytes is tighter), and a
 * consumer whose stream breaks has at least that many revisions to resume.
 */
import { assert } from '../raft/core/errors.js';
import {
  CompactedError,
  TooManyReadersError,
  ValidationError,
  WatchCancelledError,
  WatchOverflowError,
} from './errors.js';
import { eventSizeBytes, WATCH_KINDS, type WatchEvent, type WatchKind } from './events.js';
import type { HistoryPage } from './changelog.js';
import { readArray, readInteger, readOneOf, readString } from './fields.js';

export interface WatchOptions {
  /** First revision to deliver. Omitted or 0: only changes after now. */
  readonly fromRevision?: number;
  /** Kinds to deliver (all when omitted). */
  readonly kinds?: readonly WatchKind[];
  /** Deliver only events whose key starts with this (see events.ts for key formats). */
  readonly keyPrefix?: string;
}

/** Events of one or more whole revisions; `revision` is the last revision this batch covers. */
export interface WatchBatch {
  readonly events: readonly WatchEvent[];
  readonly revision: number;
}

/** What a watcher needs from the state machine. */
export interface WatchSource {
  /** Revision of the last batch offered to live watchers (and readable by readHistory). */
  committedRevision(): number;
  /** Oldest revision the change log holds (as applied): resuming below it fails with CompactedError. */
  oldestRevision(): number;
  /**
   * Revision of the last batch applied: a watch "from now" starts after it.
   * Ahead of committedRevision() while that batch is being stored.
   */
  appliedRevision(): number;
  /** Reads change-log revisions from `from` (bounded), with the oldest revision still held. */
  readHistory(
    from: number,
    revisionsMax: number,
    bytesMax: number,
  ): Promise<{ page: HistoryPage; firstRevision: number }>;
}

export interface WatchLimits {
  readonly bufferEventsMax: number;
  readonly bufferBytesMax: number;
  readonly historyPageRevisions: number;
}

interface Filter {
  readonly kinds: ReadonlySet<WatchKind> | null;
  readonly keyPrefix: string;
}

export class Watcher implements AsyncIterableIterator<WatchBatch> {
  private nextRevision: number;
  /** The resume point of the last batch buffered (or of the watch's start): what the consumer will know. */
  private announcedRevision: number;
  private live: boolean;
  private readonly buffer: { batch: WatchBatch; readonly bytes: number }[] = [];
  private bufferedEvents = 0;
  private bufferedBytes = 0;
  private failure: Error | null = null;
  private ended = false;
  private wake: (() => void) | null = null;
  private pulling = false;

  constructor(
    private readonly hub: WatchHub,
    private readonly source: WatchSource,
    private readonly filter: Filter,
    fromRevision: number,
    private readonly limits: WatchLimits,
  ) {
    const committed = source.committedRevision();
    this.nextRevision = fromRevision === 0 ? source.appliedRevision() + 1 : fromRevision;
    this.announcedRevision = this.nextRevision;
    this.live = this.nextRevision > committed;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** The revision to resume from: every event before it has been handed to the consumer. */
  get resumeRevision(): number {
    const first = this.buffer[0];
    if (first === undefined) return this.nextRevision;
    // A progress batch holds no events: nothing before its end is left to hand over.
    return first.batch.events.length === 0 ? first.batch.revision + 1 : first.batch.events[0]!.revision;
  }

  async next(): Promise<IteratorResult<WatchBatch>> {
    assert(!this.pulling, 'a watcher has one consumer pulling at a time');
    this.pulling = true;
    try {
      return await this.pull();
    } finally {
      this.pulling = false;
    }
  }

  async return(): Promise<IteratorResult<WatchBatch>> {
    this.cancel();
    return { value: undefined, done: true };
  }

  /** Stops the watcher; a pending next() resolves as done. */
  cancel(): void {
    this.end(null);
  }

  /** Ends the watcher with `error` (thrown by the next pull), or cleanly when null. */
  fail(error: Error): void {
    this.end(error);
  }

  private end(error: Error | null): void {
    if (this.ended) return;
    this.ended = true;
    this.failure = error;
    this.buffer.length = 0;
    this.bufferedEvents = 0;
    this.bufferedBytes = 0;
    this.hub.remove(this);
    this.wakeConsumer();
  }

  private async pull(): Promise<IteratorResult<WatchBatch>> {
    for (;;) {
      const head = this.buffer.shift();
      if (head !== undefined) {
        this.bufferedEvents -= head.batch.events.length;
        this.bufferedBytes -= head.bytes;
        return { value: head.batch, done: false };
      }
      if (this.ended) {
        if (this.failure !== null) throw this.failure;
        return { value: undefined, done: true };
      }
      if (this.live) await new Promise<void>((resolve) => (this.wake = resolve));
      else await this.catchUp();
    }
  }

  private wakeConsumer(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  /** Reads one history page; turns live once past the committed revision. */
  private async catchUp(): Promise<void> {
    let history;
    try {
      history = await this.source.readHistory(
        this.nextRevision,
        this.limits.historyPageRevisions,
        this.limits.bufferBytesMax,
      );
    } catch (err) {
      // Ended meanwhile (closed or restored): report that, not the failed read.
      if (this.ended) return;
      throw err;
    }
    if (this.ended) return;
    const { page, firstRevision } = history;
    if (this.nextRevision < firstRevision) {
      this.fail(new CompactedError(this.nextRevision, firstRevision));
      return;
    }
    if (page.throughRevision >= this.nextRevision) {
      const matching = this.select(page.events);
      this.take(matching, this.sizeOf(matching), page.throughRevision);
    }
    if (this.nextRevision > this.source.committedRevision()) this.live = true;
  }

  /** Offered by the hub after each applied batch. Never waits. */
  offer(events: readonly WatchEvent[], revision: number): void {
    if (!this.live || this.ended) return;
    const matching = this.select(events);
    const bytes = this.sizeOf(matching);
    // One batch is always accepted into an empty buffer, so a single large revision still flows.
    const overflow =
      this.buffer.length > 0 &&
      (this.bufferedEvents + matching.length > this.limits.bufferEventsMax ||
        this.bufferedBytes + bytes > this.limits.bufferBytesMax);
    if (overflow) {
      this.fail(new WatchOverflowError(this.resumeRevision, this.bufferedEvents, this.bufferedBytes));
      return;
    }
    this.take(matching, bytes, revision);
    this.wakeConsumer();
  }

  /** Events not yet taken that pass the filter. */
  private select(events: readonly WatchEvent[]): WatchEvent[] {
    return events.filter((e) => e.revision >= this.nextRevision && this.matches(e));
  }

  private sizeOf(events: readonly WatchEvent[]): number {
    return events.reduce((sum, e) => sum + eventSizeBytes(e), 0);
  }

  /**
   * Buffers `matching` (selected from revisions up to `through`) and moves
   * past `through`; with nothing matching, a progress batch when one is due.
   * A progress batch already at the buffer's end is moved forward instead of
   * adding another, so a consumer that does not pull finds one, and a current
   * one: the buffer never holds two progress batches in a row.
   */
  private take(matching: WatchEvent[], bytes: number, through: number): void {
    this.nextRevision = Math.max(this.nextRevision, through + 1);
    if (matching.length > 0) {
      this.push({ events: matching, revision: through }, bytes);
      return;
    }
    if (!this.progressDue()) return;
    const last = this.buffer[this.buffer.length - 1];
    if (last !== undefined && last.batch.events.length === 0) {
      last.batch = { events: [], revision: through };
      this.announcedRevision = through + 1;
    } else {
      this.push({ events: [], revision: through }, 0);
    }
  }

  private push(batch: WatchBatch, bytes: number): void {
    this.buffer.push({ batch, bytes });
    this.bufferedEvents += batch.events.length;
    this.bufferedBytes += bytes;
    this.announcedRevision = batch.revision + 1;
  }

  /** The announced resume point is nearer the change log's oldest revision than its newest. */
  private progressDue(): boolean {
    const oldest = this.source.oldestRevision();
    return this.nextRevision > this.announcedRevision && 2 * this.announcedRevision < oldest + this.nextRevision;
  }

  private matches(event: WatchEvent): boolean {
    if (this.filter.kinds !== null && !this.filter.kinds.has(event.kind)) return false;
    return event.key.startsWith(this.filter.keyPrefix);
  }
}

/** The set of open watchers, bounded. */
export class WatchHub {
  private readonly watchers = new Set<Watcher>();

  constructor(
    private readonly watchersMax: number,
    private readonly limits: WatchLimits,
  ) {}

  get size(): number {
    return this.watchers.size;
  }

  /**
   * Opens a watcher. Throws ValidationError for bad options, CompactedError
   * when `fromRevision` is older than the change log, TooManyReadersError at
   * the bound.
   */
  open(source: WatchSource, options: WatchOptions, changeLogFirstRevision: number): Watcher {
    const fromRevision = readInteger(options.fromRevision ?? 0, 'fromRevision', 0, Number.MAX_SAFE_INTEGER);
    const kinds =
      options.kinds === undefined
        ? null
        : new Set(readArray(options.kinds, 'kinds', WATCH_KINDS.length, (k, p) => readOneOf(k, p, WATCH_KINDS)));
    const keyPrefix = readString(options.keyPrefix ?? '', 'keyPrefix', { lengthMax: 2048 });
    if (fromRevision !== 0 && fromRevision < changeLogFirstRevision)
      throw new CompactedError(fromRevision, changeLogFirstRevision);
    if (this.watchers.size >= this.watchersMax) throw new TooManyReadersError('watchers', this.watchersMax);
    if (kinds !== null && kinds.size === 0)
      throw new ValidationError('kinds', 'must name at least one kind when given');
    const watcher = new Watcher(this, source, { kinds, keyPrefix }, fromRevision, this.limits);
    this.watchers.add(watcher);
    return watcher;
  }

  remove(watcher: Watcher): void {
    this.watchers.delete(watcher);
  }

  /** Offers a durable batch's events (ascending revisions) to every watcher. */
  publish(events: readonly WatchEvent[], revision: number): void {
    for (const watcher of [...this.watchers]) watcher.offer(events, revision);
  }

  /** Ends every watcher (close, or state replaced by a snapshot). */
  cancelAll(reason: 'closed' | 'restored'): void {
    for (const watcher of [...this.watchers]) watcher.fail(new WatchCancelledError(reason, watcher.resumeRevision));
  }
}
