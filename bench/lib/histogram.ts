/**
 * A fixed-size latency histogram (log-linear buckets, in the manner of
 * HdrHistogram): memory is constant however many values are recorded, and
 * every recorded value is reported within a relative error of
 * 2^-SUB_BUCKET_BITS (< 0.8 %). Values are microseconds, integers from 0 to
 * VALUE_US_MAX; larger ones are clamped there (and counted as such).
 *
 * Layout: values below SUB_BUCKET_COUNT get one bucket each (exact). Above,
 * each range [2^e, 2^(e+1)) is split into SUB_BUCKET_COUNT equal buckets of
 * width 2^(e - SUB_BUCKET_BITS).
 */
import assert from 'node:assert/strict';

const SUB_BUCKET_BITS = 7;
const SUB_BUCKET_COUNT = 1 << SUB_BUCKET_BITS; // 128
/** Largest exponent covered: values up to 2^40 µs ≈ 12.7 days. */
const EXPONENT_MAX = 40;
export const VALUE_US_MAX = 2 ** (EXPONENT_MAX + 1) - 1;
const BUCKET_COUNT = SUB_BUCKET_COUNT + (EXPONENT_MAX - SUB_BUCKET_BITS + 1) * SUB_BUCKET_COUNT;

function bucketIndex(valueUs: number): number {
  if (valueUs < SUB_BUCKET_COUNT) return valueUs;
  // log2 of an integer near a power of two can round up: correct by one step either way.
  let exponent = Math.floor(Math.log2(valueUs));
  if (2 ** exponent > valueUs) exponent--;
  else if (2 ** (exponent + 1) <= valueUs) exponent++;
  const shift = exponent - SUB_BUCKET_BITS;
  const sub = Math.floor(valueUs / 2 ** shift) - SUB_BUCKET_COUNT; // 0..127
  return SUB_BUCKET_COUNT + shift * SUB_BUCKET_COUNT + sub;
}

/** Highest value that falls in bucket `index` (reported for percentiles: never under-states). */
function bucketHighestUs(index: number): number {
  if (index < SUB_BUCKET_COUNT) return index;
  const shift = Math.floor((index - SUB_BUCKET_COUNT) / SUB_BUCKET_COUNT);
  const sub = (index - SUB_BUCKET_COUNT) % SUB_BUCKET_COUNT;
  return (SUB_BUCKET_COUNT + sub + 1) * 2 ** shift - 1;
}

export class LatencyHistogram {
  /** Float64 counts: exact up to 2^53 recordings. */
  private readonly counts = new Float64Array(BUCKET_COUNT);
  private total = 0;
  private minUs = Infinity;
  private maxUs = 0;
  private sumUs = 0;

  /** Records one latency in milliseconds (fractions allowed; rounded to the nearest microsecond). */
  recordMs(latencyMs: number): void {
    assert.ok(latencyMs >= 0 && Number.isFinite(latencyMs), `latency ${latencyMs} ms is finite and >= 0`);
    const valueUs = Math.min(Math.round(latencyMs * 1_000), VALUE_US_MAX);
    this.counts[bucketIndex(valueUs)]! += 1;
    this.total += 1;
    this.sumUs += valueUs;
    if (valueUs < this.minUs) this.minUs = valueUs;
    if (valueUs > this.maxUs) this.maxUs = valueUs;
  }

  /** Adds every recording of `other` to this histogram. */
  merge(other: LatencyHistogram): void {
    for (let i = 0; i < BUCKET_COUNT; i++) this.counts[i]! += other.counts[i]!;
    this.total += other.total;
    this.sumUs += other.sumUs;
    this.minUs = Math.min(this.minUs, other.minUs);
    this.maxUs = Math.max(this.maxUs, other.maxUs);
  }

  get count(): number {
    return this.total;
  }

  /** Exact maximum in ms (0 when empty). */
  get maxMs(): number {
    return this.maxUs / 1_000;
  }

  /** Exact minimum in ms (0 when empty). */
  get minMs(): number {
    return this.total === 0 ? 0 : this.minUs / 1_000;
  }

  get meanMs(): number {
    return this.total === 0 ? 0 : this.sumUs / this.total / 1_000;
  }

  /**
   * The latency at `percentile` (0 < p <= 100) in ms: the smallest recorded
   * value v such that at least p % of recordings are <= v, to bucket precision,
   * never above the exact maximum. 0 when empty.
   */
  percentileMs(percentile: number): number {
    assert.ok(percentile > 0 && percentile <= 100, `percentile ${percentile} in (0, 100]`);
    if (this.total === 0) return 0;
    const rank = Math.ceil((percentile / 100) * this.total);
    let seen = 0;
    for (let i = 0; i < BUCKET_COUNT; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(bucketHighestUs(i), this.maxUs) / 1_000;
    }
    assert.fail(`histogram counts sum to ${seen}, below its total ${this.total}`);
  }
}
