/**
 * What every bench prints and stores (issue 4): a table for people, then as
 * the last line of stdout one JSON object with the figures, each named with its
 * unit last (`writes_per_s`, `p99_ms`), and the ratios `ratio_<figure>` =
 * Edgernetes / etcd. The same object goes to bench/results/<name>.json and a
 * chart to bench/results/<name>.svg.
 */
import Table from 'cli-table3';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LoadResult } from './loadgen.js';
import { ratio, roundSignificant, type Figures } from './stats.js';

/** The system whose figures are the numerators of ratios, and the one they are compared with. */
export const OURS = 'edgernetes';
export const THEIRS = 'etcd';

/** Default results directory: bench/results/ beside bench/lib/. */
export const RESULTS_DIR_DEFAULT = fileURLToPath(new URL('../results/', import.meta.url));

/** Units a figure name may end with. */
const FIGURE_NAME = /^[a-z][a-z0-9_]*_(per_s|ms|s|count|bytes|percent)$/;

export function assertFigureName(name: string): void {
  const why = `figure name ${JSON.stringify(name)} ends with its unit (_per_s, _ms, _s, _count, …)`;
  assert.match(name, FIGURE_NAME, why);
}

/** Figures of a load run, throughput named after `noun` ("writes" → writes_per_s). */
export function loadFigures(result: LoadResult, noun: string): Figures {
  assert.match(noun, /^[a-z]+$/, `noun ${noun} is a plain lowercase word`);
  return {
    [`${noun}_per_s`]: result.opsPerS,
    p50_ms: result.p50Ms,
    p90_ms: result.p90Ms,
    p99_ms: result.p99Ms,
    max_ms: result.maxMs,
    errors_count: result.errors,
  };
}

function roundFigures(figures: Figures): Figures {
  return Object.fromEntries(
    Object.entries(figures).map(([name, value]) => {
      assertFigureName(name);
      return [name, roundSignificant(value)];
    }),
  );
}

/**
 * One comparison entry: `key` fields first (e.g. { concurrency: 64 }), then
 * each system's figures, then `ratio_<figure>` for every figure both OURS and
 * THEIRS have (null where the ratio has no meaning, e.g. a zero denominator).
 */
export function comparisonEntry(
  key: Readonly<Record<string, string | number>>,
  systems: Readonly<Record<string, Figures>>,
): Record<string, unknown> {
  const entry: Record<string, unknown> = { ...key };
  for (const [system, figures] of Object.entries(systems)) entry[system] = roundFigures(figures);
  const ours = systems[OURS];
  const theirs = systems[THEIRS];
  if (ours !== undefined && theirs !== undefined) {
    for (const name of Object.keys(ours)) {
      if (theirs[name] === undefined || name === 'errors_count') continue;
      const r = ratio(ours[name]!, theirs[name]!);
      entry[`ratio_${name}`] = r === null ? null : roundSignificant(r, 3);
    }
  }
  return entry;
}

function cell(value: unknown): string {
  if (typeof value === 'number') return value.toLocaleString('en-US', { maximumFractionDigits: 2 });
  return value === null || value === undefined ? '–' : String(value);
}

/**
 * A table of comparison entries: one row per (entry, system) with the figures,
 * and a ratio row per entry when ratios exist.
 */
export function comparisonTable(title: string, keyName: string, entries: readonly Record<string, unknown>[]): string {
  const isSystem = (e: Record<string, unknown>, k: string) => typeof e[k] === 'object' && e[k] !== null;
  const systems = [...new Set(entries.flatMap((e) => Object.keys(e).filter((k) => isSystem(e, k))))];
  const figureNames = [
    ...new Set(systems.flatMap((s) => entries.flatMap((e) => Object.keys((e[s] as Figures) ?? {})))),
  ];
  const table = new Table({ head: [keyName, 'system', ...figureNames], style: { head: [], border: [] } });
  for (const entry of entries) {
    for (const system of systems) {
      const figures = entry[system] as Figures | undefined;
      if (figures === undefined) continue;
      table.push([cell(entry[keyName]), system, ...figureNames.map((n) => cell(figures[n]))]);
    }
    if (figureNames.some((n) => `ratio_${n}` in entry)) {
      table.push([cell(entry[keyName]), `${OURS}/${THEIRS}`, ...figureNames.map((n) => cell(entry[`ratio_${n}`]))]);
    }
  }
  return `${title}\n${table.toString()}`;
}

/** A plain table from rows of cells. */
export function plainTable(title: string, head: readonly string[], rows: readonly (readonly unknown[])[]): string {
  const table = new Table({ head: [...head], style: { head: [], border: [] } });
  for (const row of rows) table.push(row.map(cell));
  return `${title}\n${table.toString()}`;
}

export interface BenchOutput {
  /** Bench name: also the file name under the results dir. */
  readonly bench: string;
  /** The JSON object (its `bench` field is set from `bench`). */
  readonly result: Record<string, unknown>;
  /** SVG chart text, stored beside the JSON when given. */
  readonly svg?: string;
  /** Defaults to bench/results/. */
  readonly resultsDir?: string;
}

/** Writes <dir>/<bench>.json (and .svg); returns the paths written. */
export function writeResults(output: BenchOutput): string[] {
  assert.match(output.bench, /^[a-z][a-z0-9-]*$/, `bench name ${output.bench} is a file-safe name`);
  const dir = output.resultsDir ?? RESULTS_DIR_DEFAULT;
  mkdirSync(dir, { recursive: true });
  const object = { bench: output.bench, ...output.result };
  const paths = [join(dir, `${output.bench}.json`)];
  writeFileSync(paths[0]!, `${JSON.stringify(object, null, 2)}\n`);
  if (output.svg !== undefined) {
    paths.push(join(dir, `${output.bench}.svg`));
    writeFileSync(paths[1]!, output.svg);
  }
  return paths;
}

/** The last line of a bench's stdout: `{"bench":<name>, …result}` on one line. */
export function resultLine(bench: string, result: Record<string, unknown>): string {
  return JSON.stringify({ bench, ...result });
}

/**
 * Ends a bench: stores the results, prints where, then prints the JSON line,
 * which is last on stdout by contract (nothing may be printed after it).
 */
export function finishBench(output: BenchOutput): void {
  const paths = writeResults(output);
  console.log(`results: ${paths.join(', ')}`);
  console.log(resultLine(output.bench, output.result));
}
