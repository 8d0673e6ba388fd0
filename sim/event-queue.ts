/**
 * A bounded priority queue of scheduled simulation events, ordered by time and
 * then by insertion (so two events at the same instant run in the order they
 * were scheduled, which keeps a seed's run deterministic).
 *
 * Binary heap over parallel arrays of keys to avoid allocating per comparison.
 */

/** Raised when the run schedules more events than the bound: a runaway feedback loop in the simulation. */
export class EventQueueOverflowError extends Error {
  constructor(readonly capacity: number) {
    super(`event queue overflow: more than ${capacity} events pending`);
    this.name = 'EventQueueOverflowError';
  }
}

export class EventQueue<T> {
  private readonly times: number[] = [];
  private readonly seqs: number[] = [];
  private readonly items: T[] = [];
  private nextSeq = 0;

  constructor(private readonly capacity: number) {}

  get size(): number {
    return this.items.length;
  }

  push(timeUnits: number, item: T): void {
    if (this.items.length >= this.capacity) throw new EventQueueOverflowError(this.capacity);
    let i = this.items.length;
    this.times.push(timeUnits);
    this.seqs.push(this.nextSeq++);
    this.items.push(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  /** Time of the earliest event, or Infinity when empty. */
  peekTime(): number {
    return this.items.length === 0 ? Infinity : this.times[0]!;
  }

  pop(): T {
    const n = this.items.length;
    if (n === 0) throw new RangeError('pop() from an empty event queue');
    const top = this.items[0]!;
    this.swap(0, n - 1);
    this.times.pop();
    this.seqs.pop();
    this.items.pop();
    this.siftDown(0);
    return top;
  }

  private siftDown(start: number): void {
    const n = this.items.length;
    let i = start;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) return;
      const right = left + 1;
      const child = right < n && this.less(right, left) ? right : left;
      if (!this.less(child, i)) return;
      this.swap(i, child);
      i = child;
    }
  }

  private less(a: number, b: number): boolean {
    const ta = this.times[a]!;
    const tb = this.times[b]!;
    return ta < tb || (ta === tb && this.seqs[a]! < this.seqs[b]!);
  }

  private swap(a: number, b: number): void {
    const t = this.times[a]!;
    this.times[a] = this.times[b]!;
    this.times[b] = t;
    const s = this.seqs[a]!;
    this.seqs[a] = this.seqs[b]!;
    this.seqs[b] = s;
    const it = this.items[a]!;
    this.items[a] = this.items[b]!;
    this.items[b] = it;
  }
}
