// Goal: the client's write session numbers writes 1, 2, 3..., lets several be
// in flight, tells the state machine the lowest seq still awaiting its answer
// (firstUnackedSeq), never lets the span of unanswered seqs reach
// writesInFlightMax (so the state machine never drops a result the client may
// still retry), counts a failed write as answered, and bounds how many wait.
// Method: direct calls with hand-released fake sends, no sockets.
import { describe, expect, it } from 'vitest';
import { WriteQueue, WriteQueueFullError } from '../../src/client/write-queue.js';
import { SESSION_RESULTS_MAX } from '../../src/fsm/limits.js';
import type { WriteHeader } from '../../src/gen/edgernetes/api/v1/common.js';

/** A fake send per write that the test settles by hand. */
class Sends {
  readonly headers: WriteHeader[] = [];
  private readonly settle = new Map<number, (ok: boolean) => void>();

  send = (header: WriteHeader): Promise<number> => {
    this.headers.push(header);
    return new Promise<number>((resolve, reject) =>
      this.settle.set(header.seq, (ok) => (ok ? resolve(header.seq) : reject(new Error(`write ${header.seq} failed`)))),
    );
  };

  finish(seq: number, ok = true): void {
    const settle = this.settle.get(seq);
    if (settle === undefined) throw new Error(`write ${seq} was not sent`);
    this.settle.delete(seq);
    settle(ok);
  }

  seqs(): number[] {
    return this.headers.map((h) => h.seq);
  }
}

/** Lets settled sends run their continuations (admission happens in `finally`). */
const flush = () => new Promise<void>((r) => setImmediate(r));

describe('client write queue', () => {
  it('sends several writes at once, each with the lowest unanswered seq', async () => {
    const queue = new WriteQueue({ clientId: 'client-a', writesInFlightMax: 8 });
    const sends = new Sends();
    const writes = [1, 2, 3].map(() => queue.run(sends.send));
    await flush();
    expect(sends.headers).toEqual([
      { clientId: 'client-a', seq: 1, firstUnackedSeq: 1 },
      { clientId: 'client-a', seq: 2, firstUnackedSeq: 1 },
      { clientId: 'client-a', seq: 3, firstUnackedSeq: 1 },
    ]);
    // Answers arrive out of order; the next write reports what is still unanswered.
    sends.finish(2);
    sends.finish(1);
    await flush();
    const fourth = queue.run(sends.send);
    await flush();
    expect(sends.headers[3]).toEqual({ clientId: 'client-a', seq: 4, firstUnackedSeq: 3 });
    sends.finish(3);
    sends.finish(4);
    expect(await Promise.all([...writes, fourth])).toEqual([1, 2, 3, 4]);
    expect(queue.size).toBe(0);
    expect(queue.firstUnackedSeq).toBe(5);
  });

  it('keeps the span of unanswered seqs below writesInFlightMax, even with one write stuck', async () => {
    const queue = new WriteQueue({ clientId: 'c', writesInFlightMax: 3 });
    const sends = new Sends();
    const writes = Array.from({ length: 6 }, () => queue.run(sends.send));
    await flush();
    expect(sends.seqs()).toEqual([1, 2, 3]);
    // Seq 1 stays unanswered: finishing 2 and 3 does not open the window (4 - 1 = 3 is the bound).
    sends.finish(2);
    sends.finish(3);
    await flush();
    expect(sends.seqs()).toEqual([1, 2, 3]);
    expect(queue.size).toBe(4);
    sends.finish(1);
    await flush();
    expect(sends.headers.slice(3)).toEqual([
      { clientId: 'c', seq: 4, firstUnackedSeq: 4 },
      { clientId: 'c', seq: 5, firstUnackedSeq: 4 },
      { clientId: 'c', seq: 6, firstUnackedSeq: 4 },
    ]);
    for (const seq of [4, 5, 6]) sends.finish(seq);
    expect(await Promise.all(writes)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('counts a failed write as answered and goes on with the next seq', async () => {
    const queue = new WriteQueue({ clientId: 'c', writesInFlightMax: 1 });
    const sends = new Sends();
    const first = queue.run(sends.send);
    const second = queue.run(sends.send);
    await flush();
    sends.finish(1, false);
    await expect(first).rejects.toThrow('write 1 failed');
    await flush();
    expect(sends.headers[1]).toEqual({ clientId: 'c', seq: 2, firstUnackedSeq: 2 });
    sends.finish(2);
    expect(await second).toBe(2);
  });

  it('refuses writes beyond writesQueuedMax without sending them', async () => {
    const queue = new WriteQueue({ clientId: 'c', writesInFlightMax: 1, writesQueuedMax: 1 });
    const sends = new Sends();
    const first = queue.run(sends.send);
    const second = queue.run(sends.send);
    await expect(queue.run(sends.send)).rejects.toBeInstanceOf(WriteQueueFullError);
    await flush();
    sends.finish(1);
    await flush();
    sends.finish(2);
    expect(await Promise.all([first, second])).toEqual([1, 2]);
    expect(sends.seqs()).toEqual([1, 2]);
  });

  it('refuses a window larger than the state machine keeps results for', () => {
    expect(() => new WriteQueue({ writesInFlightMax: SESSION_RESULTS_MAX + 1 })).toThrow(/writesInFlightMax/);
    expect(() => new WriteQueue({ writesInFlightMax: 0 })).toThrow(/writesInFlightMax/);
    expect(() => new WriteQueue({ writesQueuedMax: -1 })).toThrow(/writesQueuedMax/);
    expect(new WriteQueue().clientId).toMatch(/^[0-9a-f-]{36}$/);
  });
});
