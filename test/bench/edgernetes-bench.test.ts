// Goal: `npm run bench -- write` and `npm run bench -- failover` run end to end against a real
// 3-replica Edgernetes cluster and end with issue 4's JSON line (write: per concurrency, our
// figures for the leader-preferring client and for writes spread over all endpoints; failover:
// rounds, median and max, per case), the same object stored in <results>/<bench>.json beside an
// SVG chart. No --vs etcd here: etcd's side has its own tests (etcd-probe.test.ts).
// Method: each bench's run() with tiny durations and one round; stdout captured and the last line
// parsed; the checks are on shape and sign only (no timing thresholds: the machine is shared).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { run as runFailover } from '../../bench/failover.js';
import { run as runWrite } from '../../bench/write.js';

const isRoot = process.getuid?.() === 0;
const dirs: string[] = [];

afterEach(() => {
  vi.restoreAllMocks();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Runs `bench` with `args` plus a fresh results dir; returns the printed lines and that dir. */
async function runCaptured(bench: (args: string[]) => Promise<void>, args: string[]): Promise<{ lines: string[]; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'edg-bench-test-'));
  dirs.push(dir);
  const lines: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((line: unknown) => void lines.push(String(line)));
  await bench([...args, '--results-dir', dir]);
  return { lines, dir };
}

function expectStoredAlike(dir: string, bench: string, last: unknown): void {
  expect(JSON.parse(readFileSync(join(dir, `${bench}.json`), 'utf8'))).toEqual(last);
  expect(readFileSync(join(dir, `${bench}.svg`), 'utf8')).toMatch(/^<svg[\s\S]*<\/svg>\n$/);
}

type LoadFigures = Record<string, number>;

function expectLoadFigures(f: LoadFigures | undefined): void {
  expect(f).toBeDefined();
  expect(f!.writes_per_s).toBeGreaterThan(0);
  expect(f!.p50_ms).toBeGreaterThan(0);
  expect(f!.p99_ms).toBeGreaterThanOrEqual(f!.p50_ms!);
  expect(f!.max_ms).toBeGreaterThanOrEqual(f!.p99_ms!);
  expect(f!.errors_count).toBe(0);
  expect(f!.server_cpu_per_op_ms).toBeGreaterThanOrEqual(0);
}

describe('Edgernetes benches (real 3-replica clusters on 127.0.0.1)', () => {
  it('write: a table, then the JSON line of issue 4 for each concurrency', async () => {
    const args = ['--seconds', '0.3', '--warmup-seconds', '0.1', '--prime-seconds', '0.2', '--concurrency', '1,4', '--rounds', '1'];
    const { lines, dir } = await runCaptured(runWrite, args);

    const last = JSON.parse(lines.at(-1)!) as {
      bench: string;
      results: Array<
        { concurrency: number; edgernetes: LoadFigures; edgernetes_unary: LoadFigures; edgernetes_all_endpoints: LoadFigures } & Record<string, unknown>
      >;
      settings: Record<string, unknown>;
    };
    expect(Object.keys(last).slice(0, 2)).toEqual(['bench', 'results']);
    expect(last.bench).toBe('write');
    expect(last.results.map((r) => r.concurrency)).toEqual([1, 4]);
    for (const r of last.results) {
      expectLoadFigures(r.edgernetes);
      expectLoadFigures(r.edgernetes_unary); // the same client with unary calls, as etcd's
      expectLoadFigures(r.edgernetes_all_endpoints);
      expect(r.etcd).toBeUndefined();
      expect(Object.keys(r).some((k) => k.startsWith('ratio_'))).toBe(false);
    }
    expect(last.settings).toMatchObject({
      edgernetes: { replicas: 3, heartbeat_ms: 100, election_timeout_ms: 1_000, fsync: true },
      key_bytes: 16,
      value_bytes: 256,
      rounds: 1,
      prime_s: 0.2,
      prime_concurrencies: [1, 4],
    });
    expect(lines.some((l) => l.includes('writes_per_s') && l.includes('┌'))).toBe(true);
    expectStoredAlike(dir, 'write', last);
  }, 180_000);

  it('failover: median and max of the first acknowledged write after losing the leader', async () => {
    const cases = isRoot ? 'kill,isolate' : 'kill';
    const { lines, dir } = await runCaptured(runFailover, ['--rounds', '1', '--cases', cases]);

    const last = JSON.parse(lines.at(-1)!) as {
      bench: string;
      rounds: number;
      edgernetes: { median_ms: number; max_ms: number };
      isolated?: { rounds: number; edgernetes: { median_ms: number; max_ms: number } };
      each_round_ms: Record<string, { edgernetes: number[] }>;
      settings: Record<string, unknown>;
    } & Record<string, unknown>;
    expect(Object.keys(last).slice(0, 3)).toEqual(['bench', 'rounds', 'edgernetes']);
    expect(last.bench).toBe('failover');
    expect(last.rounds).toBe(1);
    expect(last.edgernetes.median_ms).toBeGreaterThan(0);
    expect(last.edgernetes.max_ms).toBeGreaterThanOrEqual(last.edgernetes.median_ms);
    expect(last.etcd).toBeUndefined();
    expect(last.each_round_ms.kill!.edgernetes).toHaveLength(1);
    if (isRoot) {
      expect(last.isolated!.rounds).toBe(1);
      expect(last.isolated!.edgernetes.median_ms).toBeGreaterThan(0);
      expect(last.each_round_ms.isolated!.edgernetes).toHaveLength(1);
    }
    expect(last.settings).toMatchObject({ attempt_timeout_ms: 250, edgernetes: { replicas: 3 } });
    expect(lines.some((l) => l.includes('median ms') && l.includes('┌'))).toBe(true);
    expectStoredAlike(dir, 'failover', last);
  }, 240_000);
});
