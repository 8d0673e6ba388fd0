// Goal: `npm run bench -- recovery --vs etcd` runs end to end on this machine: per round and
// system a fresh 3-member cluster, a follower killed halfway through the writes and restarted on
// its data, then a follower wiped and brought back (ours rejoins by itself; etcd's by MemberRemove
// + MemberAdd + --initial-cluster-state=existing), ending with issue 4's JSON line (medians, min
// and max, ratios Edgernetes / etcd, each round, settings with one snapshot cadence for both),
// the same object stored in <results>/recovery.json beside an SVG chart; bad options are refused
// before anything starts.
// Method: run() with 2,000 writes per case, 2 rounds (so the order alternates), a snapshot every
// 500 entries (so our restarted follower, 1,000 entries behind, needs the leader's snapshot);
// stdout captured and the last line parsed; checks on shape, units and consistency only (no
// timing thresholds: the machine is shared). Skipped when etcd cannot be installed.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { run } from '../../bench/recovery.js';
import { etcdUnavailable } from './etcd-available.js';

const dirs: string[] = [];

afterEach(() => {
  vi.restoreAllMocks();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

type Figures = Record<string, number>;
type RoundDetails = Record<'restart' | 'wiped', Figures[]>;
interface RecoveryLine {
  bench: string;
  writes: number;
  rounds: number;
  edgernetes: Figures;
  etcd: Figures;
  each_round: Record<'edgernetes' | 'etcd', RoundDetails>;
  settings: Record<string, unknown> & { edgernetes: Figures; etcd: Figures };
  [ratio: `ratio_${string}`]: number;
}

const WRITES = 2_000;
const ROUNDS = 2;

function expectSystemFigures(f: Figures): void {
  for (const c of ['restart', 'wiped']) {
    expect(f[`${c}_catch_up_min_s`]).toBeGreaterThan(0);
    expect(f[`${c}_catch_up_s`]).toBeGreaterThanOrEqual(f[`${c}_catch_up_min_s`]!);
    expect(f[`${c}_catch_up_max_s`]).toBeGreaterThanOrEqual(f[`${c}_catch_up_s`]!);
    expect(f[`${c}_serving_s`]).toBeGreaterThan(0);
  }
}

function expectRounds(details: RoundDetails, membershipInWindow: boolean): void {
  expect(details.restart).toHaveLength(ROUNDS);
  expect(details.wiped).toHaveLength(ROUNDS);
  for (const r of details.restart) {
    expect(r.entries_behind_count).toBeGreaterThanOrEqual(WRITES / 2); // the half written while it was down
    expect(r.follow_leader_s).toBeLessThanOrEqual(r.catch_up_s!);
    expect(r.membership_s).toBe(0);
  }
  for (const r of details.wiped) {
    expect(r.entries_behind_count).toBe(r.commit_index_count); // an empty dir lacks everything
    expect(r.commit_index_count).toBeGreaterThanOrEqual(2 * WRITES);
    expect(r.follow_leader_s).toBeLessThanOrEqual(r.catch_up_s!);
    if (membershipInWindow) expect(r.membership_s).toBeGreaterThan(0);
    else expect(r.membership_s).toBe(0);
    expect(r.catch_up_s).toBeGreaterThanOrEqual(r.membership_s!);
  }
}

describe('recovery bench options', () => {
  it('refuses bad options before starting anything', async () => {
    await expect(run(['--rounds', '0'])).rejects.toThrow(RangeError);
    await expect(run(['--rounds', '101'])).rejects.toThrow(RangeError);
    await expect(run(['--writes', '1'])).rejects.toThrow(RangeError);
    await expect(run(['--snapshot-entries', '2.5'])).rejects.toThrow(RangeError);
    await expect(run(['--vs', 'zookeeper'])).rejects.toThrow(RangeError);
  });
});

describe.skipIf(etcdUnavailable)('recovery bench --vs etcd (real clusters on 127.0.0.1)', () => {
  it('restarted and wiped followers of both systems catch up; medians, ratios, each round', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'edg-recovery-test-'));
    dirs.push(dir);
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((line: unknown) => void lines.push(String(line)));
    const args = ['--vs', 'etcd', '--writes', String(WRITES), '--rounds', String(ROUNDS), '--snapshot-entries', '500'];
    await run([...args, '--results-dir', dir]);

    const last = JSON.parse(lines.at(-1)!) as RecoveryLine;
    expect(Object.keys(last).slice(0, 5)).toEqual(['bench', 'writes', 'rounds', 'edgernetes', 'etcd']);
    expect(last).toMatchObject({ bench: 'recovery', writes: WRITES, rounds: ROUNDS });
    expectSystemFigures(last.edgernetes);
    expectSystemFigures(last.etcd);
    for (const figure of ['restart_catch_up_s', 'wiped_catch_up_s', 'wiped_serving_s']) {
      const expected = last.edgernetes[figure]! / last.etcd[figure]!;
      expect(Math.abs(last[`ratio_${figure}`] / expected - 1)).toBeLessThan(0.01); // up to rounding
    }
    expectRounds(last.each_round.edgernetes, false);
    expectRounds(last.each_round.etcd, true);
    expect(last.settings).toMatchObject({
      edgernetes: { replicas: 3, heartbeat_ms: 100, election_timeout_ms: 1_000, fsync: true, snapshot_entries: 500 },
      etcd: { members: 3, heartbeat_ms: 100, election_timeout_ms: 1_000, fsync: true, snapshot_count: 500 },
      key_bytes: 16,
      value_bytes: 256,
      concurrency: 64,
      restart_killed_after_writes: WRITES / 2,
    });
    expect(lines.some((l) => l.includes('edgernetes/etcd') && l.includes('┌'))).toBe(true);
    expect(lines.some((l) => l.includes('MemberRemove, MemberAdd'))).toBe(true);
    expect(JSON.parse(readFileSync(join(dir, 'recovery.json'), 'utf8'))).toEqual(last);
    expect(readFileSync(join(dir, 'recovery.svg'), 'utf8')).toMatch(/^<svg[\s\S]*<\/svg>\n$/);
  }, 300_000);
});
