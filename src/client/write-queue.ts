/**
 * The exactly-once session of one client (Raft dissertation §6.3): numbers its
 * writes and bounds how many are in flight.
 *
 * Each write takes the next seq when it is sent; the retries of that write
 * (inside EndpointSet.call, after a failover) reuse its header. Several writes
 * may be in flight and reach the leader in any order: the state machine keeps
 * the result of every seq the client has not acknowledged (src/fsm/sessions.ts).
 * Each header carries `firstUnackedSeq`, the lowest seq still awaiting its
 * response when the write is sent (its own seq when none is older), so the
 * state machine can forget every result below it.
 *
 * Window: a write is sent only while its seq < firstUnackedSeq +
 * writesInFlightMax. That bounds both the writes in flight and the span of
 * their seqs; with writesInFlightMax <= SESSION_RESULTS_MAX the state machine
 * never has to drop the result of a seq this client may still retry. Writes
 * beyond the window wait in FIFO order, at most writesQueuedMax of them
 * (WriteQueueFullError beyond, nothing sent).
 *
 * A write that settles with an error (even an indeterminate one, such as its
 * deadline passing) counts as answered: the caller has its error and nothing
 * retries that seq afterwards. A copy of it still travelling to the leader is
 * applied at most once: later writes raise the state machine's floor above it.
 */
import { randomUUID } from 'node:crypto';
import { SESSION_RESULTS_MAX } from '../fsm/limits.js';
import type { WriteHeader } from '../gen/edgernetes/api/v1/common.js';

export const WRITES_IN_FLIGHT_MAX_DEFAULT = SESSION_RESULTS_MAX;
export const WRITES_QUEUED_MAX_DEFAULT = 1024;

export interface WriteQueueOptions {
  /** Defaults to a random UUID. */
  readonly clientId?: string;
  /** Writes sent and awaiting their response, and the span of their seqs: 1..SESSION_RESULTS_MAX. */
  readonly writesInFlightMax?: number;
  /** Writes waiting for room in the window (0 = none wait: WriteQueueFullError at once). */
  readonly writesQueuedMax?: number;
}

/** More writes were waiting than the queue allows. Nothing was sent for this one. */
export class WriteQueueFullError extends Error {
  constructor(readonly writesQueuedMax: number) {
    super(
      `more than ${writesQueuedMax} writes are waiting on this client; wait for some to finish or use more clients`,
    );
    this.name = 'WriteQueueFullError';
  }
}

export class WriteQueue {
  readonly clientId: string;
  private readonly writesInFlightMax: number;
  private readonly writesQueuedMax: number;
  private nextSeq = 1;
  /** Seqs sent and awaiting their response. Insertion order is ascending seq, so the first is the lowest. */
  private readonly inFlight = new Set<number>();
  /** Writes waiting for the window, oldest first; each is handed its seq when admitted. */
  private readonly waiting: ((seq: number) => void)[] = [];

  constructor(options: WriteQueueOptions = {}) {
    this.clientId = options.clientId ?? randomUUID();
    this.writesInFlightMax = options.writesInFlightMax ?? WRITES_IN_FLIGHT_MAX_DEFAULT;
    this.writesQueuedMax = options.writesQueuedMax ?? WRITES_QUEUED_MAX_DEFAULT;
    const inFlight = this.writesInFlightMax;
    if (!Number.isSafeInteger(inFlight) || inFlight < 1 || inFlight > SESSION_RESULTS_MAX) {
      throw new RangeError(`writesInFlightMax: must be an integer in [1, ${SESSION_RESULTS_MAX}], got ${inFlight}`);
    }
    if (!Number.isSafeInteger(this.writesQueuedMax) || this.writesQueuedMax < 0) {
      throw new RangeError(`writesQueuedMax: must be a non-negative integer, got ${this.writesQueuedMax}`);
    }
  }

  /** Writes in flight or waiting. */
  get size(): number {
    return this.inFlight.size + this.waiting.length;
  }

  /** The lowest seq awaiting its response, or the next seq when none does. */
  get firstUnackedSeq(): number {
    for (const seq of this.inFlight) return seq;
    return this.nextSeq;
  }

  /** Runs `send` with the write's header once the window has room; settles as `send` does. */
  async run<T>(send: (header: WriteHeader) => Promise<T>): Promise<T> {
    const seq = this.waiting.length === 0 && this.windowOpen() ? this.take() : await this.wait();
    const header: WriteHeader = { clientId: this.clientId, seq, firstUnackedSeq: this.firstUnackedSeq };
    try {
      return await send(header);
    } finally {
      this.inFlight.delete(seq);
      this.admit();
    }
  }

  private windowOpen(): boolean {
    return this.nextSeq < this.firstUnackedSeq + this.writesInFlightMax;
  }

  /** Reserves the next seq; it is in flight from now on. */
  private take(): number {
    const seq = this.nextSeq;
    this.nextSeq += 1;
    this.inFlight.add(seq);
    return seq;
  }

  private wait(): Promise<number> {
    if (this.waiting.length >= this.writesQueuedMax) throw new WriteQueueFullError(this.writesQueuedMax);
    return new Promise<number>((resolve) => this.waiting.push(resolve));
  }

  /** Hands seqs to waiting writes while the window has room (seqs are reserved here, not when they resume). */
  private admit(): void {
    while (this.waiting.length > 0 && this.windowOpen()) this.waiting.shift()!(this.take());
  }
}
