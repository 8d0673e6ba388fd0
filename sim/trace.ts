/**
 * The run's event trace: a bounded ring buffer of the most recent events (for
 * the report printed on a violation) and a running digest of every event ever
 * recorded (for replay determinism: the same seed must give the same digest).
 *
 * Events are stored as a kind and a few numbers in preallocated arrays, and
 * formatted only when a report is printed, because recording happens tens of
 * thousands of times per seed.
 */
import { HASH_SEED, mixInt, mixString } from './hash.js';
import { formatTraceEvent, type TraceKind } from './trace-format.js';

/** node, peer, a, b, c, d, e. */
const FIELD_COUNT = 7;

export interface TraceEventView {
  readonly timeUnits: number;
  readonly kind: TraceKind;
  readonly node: number;
  readonly peer: number;
  readonly a: number;
  readonly b: number;
  readonly c: number;
  readonly d: number;
  readonly e: number;
  readonly text: string;
}

export class Trace {
  private readonly times: Float64Array;
  private readonly kinds: Uint8Array;
  private readonly fields: Float64Array;
  private readonly texts: string[];
  private head = 0;
  private count = 0;
  private digestValue = HASH_SEED;
  private recordedCount = 0;
  /** Events recorded so far, by kind (all of them, not only those in the ring). */
  private readonly kindCounts = new Uint32Array(256);

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity <= 0) throw new RangeError('trace capacity must be a positive integer');
    this.times = new Float64Array(capacity);
    this.kinds = new Uint8Array(capacity);
    this.fields = new Float64Array(capacity * FIELD_COUNT);
    this.texts = new Array<string>(capacity).fill('');
  }

  /** Records one event. `text` must be short; it is mixed into the digest like the numbers. */
  record(
    timeUnits: number,
    kind: TraceKind,
    node: number,
    peer = 0,
    a = 0,
    b = 0,
    c = 0,
    d = 0,
    e = 0,
    text = '',
  ): void {
    const slot = this.head;
    this.times[slot] = timeUnits;
    this.kinds[slot] = kind;
    const f = slot * FIELD_COUNT;
    this.fields[f] = node;
    this.fields[f + 1] = peer;
    this.fields[f + 2] = a;
    this.fields[f + 3] = b;
    this.fields[f + 4] = c;
    this.fields[f + 5] = d;
    this.fields[f + 6] = e;
    this.texts[slot] = text;
    this.head = (slot + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
    this.recordedCount++;
    this.kindCounts[kind]!++;
    let h = mixInt(mixInt(this.digestValue, timeUnits), kind);
    h = mixInt(mixInt(mixInt(h, node), peer), a);
    h = mixInt(mixInt(mixInt(mixInt(h, b), c), d), e);
    this.digestValue = text.length === 0 ? h : mixString(h, text);
  }

  /** Digest of every event recorded so far (not only those still in the ring). */
  get digest(): number {
    return this.digestValue;
  }

  get totalRecorded(): number {
    return this.recordedCount;
  }

  /** How many events of `kind` were recorded. */
  countOf(kind: TraceKind): number {
    return this.kindCounts[kind]!;
  }

  /** The retained events, oldest first. */
  events(): TraceEventView[] {
    const out: TraceEventView[] = [];
    const start = (this.head - this.count + this.capacity) % this.capacity;
    for (let k = 0; k < this.count; k++) {
      const slot = (start + k) % this.capacity;
      const f = slot * FIELD_COUNT;
      out.push({
        timeUnits: this.times[slot]!,
        kind: this.kinds[slot] as TraceKind,
        node: this.fields[f]!,
        peer: this.fields[f + 1]!,
        a: this.fields[f + 2]!,
        b: this.fields[f + 3]!,
        c: this.fields[f + 4]!,
        d: this.fields[f + 5]!,
        e: this.fields[f + 6]!,
        text: this.texts[slot]!,
      });
    }
    return out;
  }

  /** The retained events as readable lines, oldest first. */
  format(unitsPerTick: number): string[] {
    return this.events().map((e) => formatTraceEvent(e, unitsPerTick));
  }
}
