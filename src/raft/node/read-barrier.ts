/**
 * Linearizable reads through ReadIndex (Raft dissertation §6.4), batched.
 *
 * Reads that arrive while no ReadIndex request is outstanding wait in
 * `queued`; the driver turns the whole queue into ONE core.readIndex(context)
 * per loop turn, so any number of concurrent reads share one heartbeat round.
 * When the core answers with a ReadState for that context, the batch waits
 * until the local applied index reaches the read index, then resolves.
 *
 * A ReadIndex request may be lost (leader change, dropped message); a batch
 * that has had no answer after `retryAfterMs` is re-issued under a new context.
 * Every read has its own deadline; the number of waiting reads is bounded.
 */
import type { LogIndex } from '../core/types.js';
import { OverloadedError, RequestTimeoutError, StoppedError } from './errors.js';

interface WaitingRead {
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
  readonly deadlineMs: number;
}

interface Batch {
  readonly reads: WaitingRead[];
  issuedAtMs: number;
  /** Known once the core answered. */
  readIndex: LogIndex | null;
}

export class ReadBarrier {
  private queued: WaitingRead[] = [];
  private readonly awaitingIndex = new Map<string, Batch>();
  private readonly awaitingApply: Batch[] = [];
  private nextContext = 1;
  private count = 0;

  /**
   * `contextPrefix` makes contexts unique across replicas: a leader keys
   * pending ReadIndex requests by context, and followers forward theirs.
   */
  constructor(
    private readonly contextPrefix: string,
    private readonly readsMax: number,
    private readonly retryAfterMs: number,
  ) {}

  get waiting(): number {
    return this.count;
  }

  /** A read that resolves once this replica's state reflects every write acknowledged before it began. */
  wait(deadlineMs: number): Promise<void> {
    if (this.count >= this.readsMax) {
      return Promise.reject(new OverloadedError(`reads: ${this.readsMax} linearizable reads already waiting; retry later`));
    }
    this.count++;
    return new Promise<void>((resolve, reject) => this.queued.push({ resolve, reject, deadlineMs }));
  }

  /**
   * Contexts to hand to core.readIndex now: one for the queued reads (if any),
   * plus one per unanswered batch older than retryAfterMs.
   */
  takeRequests(nowMs: number): Uint8Array[] {
    const contexts: Uint8Array[] = [];
    for (const [key, batch] of this.awaitingIndex) {
      if (nowMs - batch.issuedAtMs < this.retryAfterMs) continue;
      this.awaitingIndex.delete(key);
      batch.issuedAtMs = nowMs;
      contexts.push(this.issue(batch));
    }
    if (this.queued.length > 0) {
      const batch: Batch = { reads: this.queued, issuedAtMs: nowMs, readIndex: null };
      this.queued = [];
      contexts.push(this.issue(batch));
    }
    return contexts;
  }

  /** The core could not take the request (no leader): put the batch back to retry later. */
  requestFailed(context: Uint8Array): void {
    const key = contextKey(context);
    const batch = this.awaitingIndex.get(key);
    if (batch === undefined) return;
    batch.issuedAtMs = -Infinity; // retried at the next turn that has a leader
  }

  /** The core answered: reads of that batch may be served once applied >= index. */
  answered(context: Uint8Array, index: LogIndex, appliedIndex: LogIndex): void {
    const key = contextKey(context);
    const batch = this.awaitingIndex.get(key);
    if (batch === undefined) return; // a retried batch's older answer, or expired
    this.awaitingIndex.delete(key);
    batch.readIndex = index;
    this.awaitingApply.push(batch);
    this.applied(appliedIndex);
  }

  /** The state machine reached `appliedIndex`: serve every batch whose read index it covers. */
  applied(appliedIndex: LogIndex): void {
    for (let i = 0; i < this.awaitingApply.length; ) {
      const batch = this.awaitingApply[i]!;
      if (batch.readIndex! <= appliedIndex) {
        this.awaitingApply.splice(i, 1);
        this.count -= batch.reads.length;
        for (const read of batch.reads) read.resolve();
      } else {
        i++;
      }
    }
  }

  /** Fail reads past their deadline. */
  expire(nowMs: number): void {
    const keep = (reads: WaitingRead[]): WaitingRead[] =>
      reads.filter((read) => {
        if (read.deadlineMs > nowMs) return true;
        this.count--;
        read.reject(new RequestTimeoutError('linearizable read: deadline exceeded (no quorum or no leader)'));
        return false;
      });
    this.queued = keep(this.queued);
    for (const [key, batch] of this.awaitingIndex) {
      const left = keep(batch.reads);
      if (left.length === 0) this.awaitingIndex.delete(key);
      else batch.reads.splice(0, batch.reads.length, ...left);
    }
    for (let i = this.awaitingApply.length - 1; i >= 0; i--) {
      const batch = this.awaitingApply[i]!;
      const left = keep(batch.reads);
      if (left.length === 0) this.awaitingApply.splice(i, 1);
      else batch.reads.splice(0, batch.reads.length, ...left);
    }
  }

  rejectAll(reason: string): void {
    const all = [
      ...this.queued,
      ...[...this.awaitingIndex.values()].flatMap((b) => b.reads),
      ...this.awaitingApply.flatMap((b) => b.reads),
    ];
    this.queued = [];
    this.awaitingIndex.clear();
    this.awaitingApply.length = 0;
    this.count = 0;
    for (const read of all) read.reject(new StoppedError(`linearizable read: ${reason}`));
  }

  private issue(batch: Batch): Uint8Array {
    const context = new Uint8Array(Buffer.from(`${this.contextPrefix}/${this.nextContext++}`));
    this.awaitingIndex.set(contextKey(context), batch);
    return context;
  }
}

function contextKey(context: Uint8Array): string {
  return Buffer.from(context.buffer, context.byteOffset, context.byteLength).toString('hex');
}
