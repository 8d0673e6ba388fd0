// Goal: `npm run bench -- etcd-probe` runs end to end and ends with issue 4's JSON line:
// {"bench":"etcd-probe", results per concurrency with etcd's figures, failover median/max},
// the same object stored in <results>/etcd-probe.json beside an SVG chart.
// Method: the bench's run() with a short load (0.3 s per concurrency, 2 concurrencies,
// 1 failover round) against a real etcd cluster; stdout captured and parsed.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { run } from '../../bench/etcd-probe.js';
import { etcdUnavailable } from './etcd-available.js';

const dirs: string[] = [];
afterEach(() => {
  vi.restoreAllMocks();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe.skipIf(etcdUnavailable)('etcd-probe bench', () => {
  it('prints tables and ends with the JSON line it also stores', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'edg-probe-test-'));
    dirs.push(dir);
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((line: unknown) => void lines.push(String(line)));
    const args = ['--seconds', '0.3', '--warmup-seconds', '0.1', '--concurrency', '1,4', '--rounds', '1'];
    await run([...args, '--results-dir', dir]);

    const last = JSON.parse(lines.at(-1)!) as {
      bench: string;
      settings: Record<string, unknown>;
      results: Array<{ concurrency: number; etcd: Record<string, number> }>;
      failover: { rounds: number; etcd: { median_ms: number; max_ms: number } };
    };
    expect(last.bench).toBe('etcd-probe');
    expect(last.settings).toMatchObject({ members: 3, heartbeat_ms: 100, election_timeout_ms: 1_000, value_bytes: 256 });
    expect(last.results.map((r) => r.concurrency)).toEqual([1, 4]);
    for (const r of last.results) {
      expect(r.etcd.writes_per_s).toBeGreaterThan(0);
      expect(r.etcd.p99_ms).toBeGreaterThanOrEqual(r.etcd.p50_ms);
      expect(r.etcd.errors_count).toBe(0);
    }
    expect(last.failover.rounds).toBe(1);
    expect(last.failover.etcd.max_ms).toBeGreaterThanOrEqual(last.failover.etcd.median_ms);
    expect(lines.some((l) => l.includes('writes_per_s') && l.includes('┌'))).toBe(true);
    expect(JSON.parse(readFileSync(join(dir, 'etcd-probe.json'), 'utf8'))).toEqual(last);
    expect(readFileSync(join(dir, 'etcd-probe.svg'), 'utf8')).toMatch(/^<svg[\s\S]*<polyline[\s\S]*<\/svg>\n$/);
  });
});
