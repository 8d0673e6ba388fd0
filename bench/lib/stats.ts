/**
 * Summaries of repeated runs. On a noisy shared machine one run says little:
 * benches repeat each measurement (alternating the systems, see alternate.ts)
 * and report the median per figure, plus Edgernetes / etcd ratios.
 */
import assert from 'node:assert/strict';

/** Median of `values` (mean of the two middle values for an even count). */
export function median(values: readonly number[]): number {
  assert.ok(values.length > 0, 'median of no values');
  for (const v of values) assert.ok(Number.isFinite(v), `median: ${v} is finite`);
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Largest of `values`. */
export function maximum(values: readonly number[]): number {
  assert.ok(values.length > 0, 'maximum of no values');
  return values.reduce((a, b) => Math.max(a, b));
}

/**
 * `numerator / denominator` (Edgernetes / etcd), or null when it has no
 * meaning: a zero or non-finite operand (e.g. p99 of a run with no success).
 */
export function ratio(numerator: number, denominator: number): number | null {
  if (!Number.isFinite(numerator) || !Number.isFinite(denominator) || denominator === 0) return null;
  return numerator / denominator;
}

/** Named figures of one run, e.g. { writes_per_s: 5012, p99_ms: 41.2 }. */
export type Figures = Record<string, number>;

/** Per figure, the median over `runs`; every run must carry the same figure names. */
export function medianFigures(runs: readonly Figures[]): Figures {
  assert.ok(runs.length > 0, 'medianFigures of no runs');
  const names = Object.keys(runs[0]!).sort();
  for (const run of runs) assert.deepEqual(Object.keys(run).sort(), names, 'every run has the same figures');
  return Object.fromEntries(names.map((name) => [name, median(runs.map((r) => r[name]!))]));
}

/** Rounds to `digits` significant digits (figures are printed and stored this way). */
export function roundSignificant(value: number, digits = 4): number {
  if (value === 0 || !Number.isFinite(value)) return value;
  return Number(value.toPrecision(digits));
}
