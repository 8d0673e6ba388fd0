/**
 * Summaries of the recovery bench's runs (issue 4): per system, the median,
 * min and max catch-up of each case over the rounds, the ratios Edgernetes /
 * etcd (comparisonEntry), each round's details, the table people read and the
 * bar chart. Pure functions of the runs.
 *
 * Figure names: `<case>_catch_up_s` (the median: the headline figure),
 * `<case>_catch_up_min_s`, `<case>_catch_up_max_s`, and `<case>_serving_s`
 * (median time until it answers clients), case = restart | wiped.
 */
import assert from 'node:assert/strict';
import { comparisonEntry, OURS, plainTable, THEIRS } from './report.js';
import type { CaseResult, RecoveryRun } from './recovery-run.js';
import { maximum, median, roundSignificant, type Figures } from './stats.js';
import { barChartSvg } from './svg-chart.js';

export const RECOVERY_CASES = ['restart', 'wiped'] as const;
export type RecoveryCase = (typeof RECOVERY_CASES)[number];

/** Each system's runs, in round order (what runAlternating returns). */
export type RunsBySystem = Readonly<Record<string, readonly RecoveryRun[]>>;

function catchUpTimes(runs: readonly RecoveryRun[], c: RecoveryCase): number[] {
  assert.ok(runs.length > 0, 'figures of no runs');
  return runs.map((r) => r[c].catchUpS);
}

/** One system's figures: catch-up medians first (the headline), then min and max, then serving medians. */
export function recoveryFigures(runs: readonly RecoveryRun[]): Figures {
  const figures: Figures = {};
  for (const c of RECOVERY_CASES) figures[`${c}_catch_up_s`] = median(catchUpTimes(runs, c));
  for (const c of RECOVERY_CASES) {
    figures[`${c}_catch_up_min_s`] = Math.min(...catchUpTimes(runs, c));
    figures[`${c}_catch_up_max_s`] = maximum(catchUpTimes(runs, c));
  }
  for (const c of RECOVERY_CASES) figures[`${c}_serving_s`] = median(runs.map((r) => r[c].servingS));
  return figures;
}

/**
 * { writes, rounds, <system>: figures, …, ratio_<figure>: … }, the ratios
 * present when both OURS and THEIRS ran.
 */
export function recoveryEntry(writes: number, rounds: number, runs: RunsBySystem): Record<string, unknown> {
  for (const [system, list] of Object.entries(runs)) assert.equal(list.length, rounds, `${system} ran every round`);
  const figures = Object.fromEntries(Object.entries(runs).map(([system, list]) => [system, recoveryFigures(list)]));
  return comparisonEntry({ writes, rounds }, figures);
}

function caseFigures(r: CaseResult): Figures {
  return {
    catch_up_s: roundSignificant(r.catchUpS),
    follow_leader_s: roundSignificant(r.followLeaderS),
    serving_s: roundSignificant(r.servingS),
    membership_s: roundSignificant(r.membershipS),
    entries_behind_count: r.entriesBehind,
    commit_index_count: r.commitIndex,
  };
}

/** Per system and case, each round's details in round order. */
export function eachRound(runs: RunsBySystem): Record<string, Record<RecoveryCase, Figures[]>> {
  return Object.fromEntries(
    Object.entries(runs).map(([system, list]) => [
      system,
      { restart: list.map((r) => caseFigures(r.restart)), wiped: list.map((r) => caseFigures(r.wiped)) },
    ]),
  );
}

const CASE_LABELS: Readonly<Record<RecoveryCase, string>> = {
  restart: 'restart (kill -9 halfway)',
  wiped: 'wiped (empty data dir)',
};

function systemRow(c: RecoveryCase, system: string, entry: Record<string, unknown>, runs: readonly RecoveryRun[]): unknown[] {
  const f = entry[system] as Figures;
  const cases = runs.map((r) => r[c]);
  return [
    CASE_LABELS[c],
    system,
    f[`${c}_catch_up_s`],
    f[`${c}_catch_up_min_s`],
    f[`${c}_catch_up_max_s`],
    cases.map((r) => r.catchUpS.toFixed(2)).join(' '),
    median(cases.map((r) => r.followLeaderS)),
    f[`${c}_serving_s`],
    median(cases.map((r) => r.entriesBehind)),
    cases.some((r) => r.membershipS > 0) ? median(cases.map((r) => r.membershipS)) : '–',
  ];
}

/** The table: per case, a row per system (medians over the rounds) and a ratio row when both ran. */
export function recoveryTable(title: string, entry: Record<string, unknown>, runs: RunsBySystem): string {
  const head = [
    ...['case', 'system', 'caught up s', 'min s', 'max s', 'each round s'],
    ...['follows leader s', 'serves clients s', 'entries behind', 'membership calls s'],
  ];
  const rows: unknown[][] = [];
  for (const c of RECOVERY_CASES) {
    for (const [system, list] of Object.entries(runs)) rows.push(systemRow(c, system, entry, list));
    if (`ratio_${c}_catch_up_s` in entry) {
      const ratios = ['', '_min', '_max'].map((q) => entry[`ratio_${c}_catch_up${q}_s`]);
      rows.push([CASE_LABELS[c], `${OURS}/${THEIRS}`, ...ratios, '', '', entry[`ratio_${c}_serving_s`], '', '']);
    }
  }
  return plainTable(`${title}\n(medians over the rounds unless named; each round s in round order)`, head, rows);
}

/** Bars of the median and max catch-up per case, one bar per system. */
export function recoveryChart(entry: Record<string, unknown>, systems: readonly string[]): string {
  const series = (suffix: string) =>
    Object.fromEntries(systems.map((s) => [s, RECOVERY_CASES.map((c) => (entry[s] as Figures)[`${c}_catch_up${suffix}_s`]!)]));
  return barChartSvg({
    title: `Recovery: seconds until a returning replica has caught up (${entry.writes} writes per case)`,
    xLabel: 'case',
    categories: RECOVERY_CASES.map((c) => CASE_LABELS[c]),
    panels: [
      { figure: 'catch_up_s (median)', series: series('') },
      { figure: 'catch_up_max_s', series: series('_max') },
    ],
  });
}
