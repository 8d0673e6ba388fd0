/**
 * Requests waiting for an outcome (a proposal to be applied, a read index to be
 * reached), keyed by an id, each with a deadline. Bounded: registering beyond
 * `maxPending` fails at once with OverloadedError instead of queueing without end.
 */
import { OverloadedError, RequestTimeoutError, StoppedError } from './errors.js';

interface Pending<R> {
  readonly resolve: (value: R) => void;
  readonly reject: (error: Error) => void;
  readonly deadlineMs: number;
  readonly what: string;
  /** Fires at the deadline, so the caller hears back on time (not at the next tick). */
  readonly timer: NodeJS.Timeout;
}

export class Waiters<K, R> {
  private readonly pending = new Map<K, Pending<R>>();

  constructor(
    private readonly maxPending: number,
    private readonly label: string,
  ) {
    if (!Number.isInteger(maxPending) || maxPending <= 0) throw new RangeError(`${label}: maxPending must be a positive integer`);
  }

  get size(): number {
    return this.pending.size;
  }

  has(key: K): boolean {
    return this.pending.has(key);
  }

  /** Wait for `key` until `deadlineMs` (epoch ms). `what` names the request in timeout errors. */
  register(key: K, deadlineMs: number, what: string): Promise<R> {
    if (this.pending.size >= this.maxPending) {
      return Promise.reject(new OverloadedError(`${this.label}: ${this.maxPending} requests already waiting; retry later`));
    }
    if (this.pending.has(key)) throw new Error(`${this.label}: duplicate waiter ${String(key)}`);
    return new Promise<R>((resolve, reject) => {
      const timer = setTimeout(() => this.expireOne(key), Math.max(0, deadlineMs - Date.now()));
      timer.unref();
      this.pending.set(key, { resolve, reject, deadlineMs, what, timer });
    });
  }

  private expireOne(key: K): void {
    const p = this.pending.get(key);
    if (p === undefined) return;
    this.pending.delete(key);
    p.reject(new RequestTimeoutError(`${p.what}: deadline exceeded (no quorum or overloaded)`));
  }

  resolve(key: K, value: R): boolean {
    const p = this.pending.get(key);
    if (p === undefined) return false;
    this.pending.delete(key);
    clearTimeout(p.timer);
    p.resolve(value);
    return true;
  }

  reject(key: K, error: Error): boolean {
    const p = this.pending.get(key);
    if (p === undefined) return false;
    this.pending.delete(key);
    clearTimeout(p.timer);
    p.reject(error);
    return true;
  }

  /** Fail every waiter whose deadline has passed. Returns how many expired. */
  expire(nowMs: number): number {
    let expired = 0;
    for (const [key, p] of this.pending) {
      if (p.deadlineMs <= nowMs) {
        this.pending.delete(key);
        clearTimeout(p.timer);
        p.reject(new RequestTimeoutError(`${p.what}: deadline exceeded (no quorum or overloaded)`));
        expired++;
      }
    }
    return expired;
  }

  /** Fail everything (shutdown). */
  rejectAll(reason: string): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) {
      clearTimeout(p.timer);
      p.reject(new StoppedError(`${p.what}: ${reason}`));
    }
  }
}
