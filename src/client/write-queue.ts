/**
 * One write at a time per client session. The state machine keeps, per
 * clientId, only the last sequence number and its result (Raft dissertation
 * §6.3): if seq 5 were applied before seq 4, seq 4 would be refused as stale.
 * So a client sends its writes one after another, each with the next seq;
 * retries of one write (inside EndpointSet.call, after a failover) reuse its seq.
 */
import { randomUUID } from 'node:crypto';
import type { WriteHeader } from '../gen/edgernetes/api/v1/common.js';

/** More writes were waiting than the queue allows. Nothing was sent for this one. */
export class WriteQueueFullError extends Error {
  constructor(readonly queuedMax: number) {
    super(`more than ${queuedMax} writes are waiting on this client; wait for some to finish or use more clients`);
    this.name = 'WriteQueueFullError';
  }
}

export class WriteQueue {
  readonly clientId: string;
  private seq = 0;
  private tail: Promise<unknown> = Promise.resolve();
  private waiting = 0;

  constructor(
    private readonly queuedMax: number,
    clientId: string = randomUUID(),
  ) {
    if (!Number.isSafeInteger(queuedMax) || queuedMax < 1) {
      throw new RangeError(`writesQueuedMax: must be a positive integer, got ${queuedMax}`);
    }
    this.clientId = clientId;
  }

  /** Writes queued or in flight. */
  get size(): number {
    return this.waiting;
  }

  /** Runs `send` with the next header once every earlier write has settled. */
  async run<T>(send: (header: WriteHeader) => Promise<T>): Promise<T> {
    if (this.waiting >= this.queuedMax) throw new WriteQueueFullError(this.queuedMax);
    this.waiting += 1;
    const turn = this.tail.then(() => {
      this.seq += 1;
      return send({ clientId: this.clientId, seq: this.seq });
    });
    // The next write waits for this one to settle, whatever its outcome.
    this.tail = turn.catch(() => undefined);
    try {
      return await turn;
    } finally {
      this.waiting -= 1;
    }
  }
}
