// Goal: what the recovery bench reports from its runs is right: per system the median, min and
// max catch-up of each case and the median time to serve clients, ratios Edgernetes / etcd for
// every such figure (and none without etcd), each round's details in round order, a table with a
// ratio row per case, a bar chart; and etcd's raft progress is parsed out of its metrics page.
// Method: hand-made runs with known answers through the pure summary functions; a metrics page
// in etcd 3.4's text format (large gauges in exponent form, labelled look-alikes beside them).
import { describe, expect, it } from 'vitest';
import { EtcdRequestError } from '../../bench/lib/errors.js';
import { metricValue, raftMetricsOf } from '../../bench/lib/etcd-metrics.js';
import type { CaseResult, RecoveryRun } from '../../bench/lib/recovery-run.js';
import { eachRound, recoveryChart, recoveryEntry, recoveryFigures, recoveryTable } from '../../bench/lib/recovery-summary.js';

function caseResult(catchUpS: number, extra: Partial<CaseResult> = {}): CaseResult {
  return {
    followLeaderS: catchUpS / 2,
    catchUpS,
    servingS: catchUpS / 4,
    commitIndex: 1_000,
    entriesBehind: 500,
    membershipS: 0,
    ...extra,
  };
}

function run(restartS: number, wipedS: number, membershipS = 0): RecoveryRun {
  return { restart: caseResult(restartS), wiped: caseResult(wipedS, { membershipS }), settings: {} };
}

const ours = [run(3, 1), run(1, 2), run(2, 6)];
const theirs = [run(4, 8, 0.5), run(2, 4, 0.25), run(1, 2, 0.75)];

describe('recovery summary', () => {
  it('takes the median, min and max catch-up per case, and the median time to serve', () => {
    expect(recoveryFigures(ours)).toEqual({
      restart_catch_up_s: 2,
      wiped_catch_up_s: 2,
      restart_catch_up_min_s: 1,
      restart_catch_up_max_s: 3,
      wiped_catch_up_min_s: 1,
      wiped_catch_up_max_s: 6,
      restart_serving_s: 0.5,
      wiped_serving_s: 0.5,
    });
    expect(() => recoveryFigures([])).toThrow();
  });

  it('gives ratios Edgernetes / etcd for every figure, keyed after writes and rounds', () => {
    const entry = recoveryEntry(100, 3, { edgernetes: ours, etcd: theirs });
    expect(Object.keys(entry).slice(0, 4)).toEqual(['writes', 'rounds', 'edgernetes', 'etcd']);
    expect(entry.ratio_restart_catch_up_s).toBe(1); // 2 / 2
    expect(entry.ratio_wiped_catch_up_s).toBe(0.5); // 2 / 4
    expect(entry.ratio_wiped_catch_up_max_s).toBe(0.75); // 6 / 8
    expect(entry.ratio_wiped_serving_s).toBe(0.5); // 0.5 / 1
    const alone = recoveryEntry(100, 3, { edgernetes: ours });
    expect(Object.keys(alone).filter((k) => k.startsWith('ratio_'))).toEqual([]);
    expect(() => recoveryEntry(100, 4, { edgernetes: ours })).toThrow(); // a system missed a round
  });

  it('keeps each round in round order, with units in every name', () => {
    const rounds = eachRound({ edgernetes: ours, etcd: theirs });
    expect(rounds.edgernetes!.restart.map((r) => r.catch_up_s)).toEqual([3, 1, 2]);
    expect(rounds.etcd!.wiped.map((r) => r.membership_s)).toEqual([0.5, 0.25, 0.75]);
    expect(Object.keys(rounds.etcd!.wiped[0]!).every((name) => /_(s|count)$/.test(name))).toBe(true);
  });

  it('prints a row per system and a ratio row per case, and draws both cases', () => {
    const entry = recoveryEntry(100, 3, { edgernetes: ours, etcd: theirs });
    const table = recoveryTable('Recovery', entry, { edgernetes: ours, etcd: theirs });
    expect(table.match(/edgernetes\/etcd/g)).toHaveLength(2);
    expect(table).toContain('membership calls s');
    expect(table).toContain('3.00 1.00 2.00'); // each round, in round order
    const svg = recoveryChart(entry, ['edgernetes', 'etcd']);
    expect(svg).toMatch(/^<svg[\s\S]*<\/svg>\n$/);
    expect(svg).toContain('wiped (empty data dir)');
  });
});

describe('etcd raft metrics', () => {
  const page = [
    '# HELP etcd_server_has_leader Whether or not a leader exists. 1 is existence, 0 is not.',
    '# TYPE etcd_server_has_leader gauge',
    'etcd_server_has_leader 1',
    'etcd_server_proposals_applied_total 1.000012e+06',
    'etcd_server_proposals_committed_total{member="x"} 7',
    'etcd_server_proposals_committed_total 1.000015e+06',
    '',
  ].join('\n');

  it('reads the leader flag and the applied and committed indexes', () => {
    expect(raftMetricsOf(page)).toEqual({ hasLeader: true, appliedIndex: 1_000_012, committedIndex: 1_000_015 });
    expect(raftMetricsOf(page.replace('has_leader 1', 'has_leader 0')).hasLeader).toBe(false);
  });

  it('fails with a named error when a sample is missing or not a number', () => {
    expect(() => metricValue(page, 'etcd_server_is_leader')).toThrow(EtcdRequestError);
    expect(() => metricValue('etcd_server_has_leader NaN\n', 'etcd_server_has_leader')).toThrow(EtcdRequestError);
  });
});
