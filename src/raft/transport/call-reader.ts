/**
 * Pull-style reading of a server call's request stream with backpressure:
 * the call is paused after every message and resumed only when the consumer
 * asks for the next one, so at most a few messages are buffered here.
 *
 * Why not `for await (const m of call)`: unblocking that from outside
 * (timeout, supersede) needs call.destroy(err), which makes grpc-js send an
 * error status of its own before the handler can send its answer.
 */
import type { Readable } from 'node:stream';
import { Wakeup } from './wakeup.js';

export class CallReader<T> {
  private readonly buffered: T[] = [];
  private ended = false;
  private failure: Error | null = null;
  private readonly wake = new Wakeup();

  constructor(private readonly call: Readable) {
    call.on('data', (message: T) => {
      this.buffered.push(message);
      call.pause();
      this.wake.notify();
    });
    call.on('end', () => {
      this.ended = true;
      this.wake.notify();
    });
  }

  /** The next message, or null once the caller half-closed. Throws the error given to abort(). */
  async next(): Promise<T | null> {
    for (;;) {
      if (this.failure !== null) throw this.failure;
      const message = this.buffered.shift();
      if (message !== undefined) {
        if (this.buffered.length === 0 && !this.ended) this.call.resume();
        return message;
      }
      if (this.ended) return null;
      await this.wake.wait();
    }
  }

  /** Makes the pending and every later next() throw `error`. */
  abort(error: Error): void {
    if (this.failure === null) this.failure = error;
    this.wake.notify();
  }
}
