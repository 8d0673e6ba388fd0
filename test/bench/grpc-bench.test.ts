// Goal: `npm run bench -- grpc` runs end to end and ends with its JSON line: per
// concurrency, unary and stream figures (calls/s, server and client CPU µs per
// call) and their ratios, the same object stored in <results>/grpc.json.
// Method: the bench's run() with very short rounds; stdout captured and parsed.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { run } from '../../bench/grpc.js';

const dirs: string[] = [];
afterEach(() => {
  vi.restoreAllMocks();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('grpc bench', () => {
  it('measures unary and stream calls and ends with the JSON line it also stores', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'edg-grpc-bench-'));
    dirs.push(dir);
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((line: unknown) => void lines.push(String(line)));
    await run(['--seconds', '0.3', '--rounds', '1', '--results-dir', dir]);

    const last = JSON.parse(lines.at(-1)!) as {
      bench: string;
      results: Array<Record<string, number | Record<string, number>> & { concurrency: number }>;
    };
    expect(last.bench).toBe('grpc');
    expect(last.results.map((r) => r.concurrency)).toEqual([1, 64]);
    for (const r of last.results) {
      for (const mode of ['unary', 'stream'] as const) {
        const f = r[mode] as Record<string, number>;
        expect(f.calls_per_s).toBeGreaterThan(0);
        expect(f.server_cpu_per_call_us).toBeGreaterThan(0);
        expect(f.client_cpu_per_call_us).toBeGreaterThan(0);
      }
      const unary = r.unary as Record<string, number>;
      const stream = r.stream as Record<string, number>;
      expect(r.ratio_calls_per_s).toBeCloseTo(stream.calls_per_s! / unary.calls_per_s!, 2);
    }
    expect(JSON.parse(readFileSync(join(dir, 'grpc.json'), 'utf8'))).toEqual(last);
    expect(lines.some((l) => l.includes('grpc-js cost per call'))).toBe(true);
  });
});
