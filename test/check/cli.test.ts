// Goal: `edgernetes check-history` prints one line per file and exits 0/1/2/3 as specified.
// Method: history files in a temp folder; a few runs of the real binary (bin/edgernetes.mjs)
// as a subprocess for each exit code, and runCheckHistory in process for the precedence rules.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDurationArgument, runCheckHistory } from '../../src/cli/check-history.js';
import { DEFAULT_RANDOM_HISTORY, randomLinearizableHistory } from '../../src/check/random-history.js';
import { read, toJsonLines, write } from './history-dsl.js';

const bin = new URL('../../bin/edgernetes.mjs', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'check-history-'));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const good = file('good.jsonl', toJsonLines([...write(0, 1), ...read(1, 1)]));
const stale = file('stale.jsonl', toJsonLines([...write(0, 1), ...write(1, 2), ...read(2, 1)]));
const badF = file('bad-f.jsonl', `${JSON.stringify(write(0, 1)[0])}\n{"process":0,"type":"ok","f":"bogus","key":"r"}\n`);
const badJson = file('bad-json.jsonl', `\n\n{"process":0,"type":`);
const twoOutstanding = file('two.jsonl', `${JSON.stringify(write(0, 1)[0])}\n${JSON.stringify(write(0, 2)[0])}\n`);
const long = file('long.jsonl', toJsonLines(randomLinearizableHistory({ ...DEFAULT_RANDOM_HISTORY, seed: 5, operations: 3000, processes: 10 })));

function run(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [bin, 'check-history', ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('edgernetes check-history (subprocess)', () => {
  it('exits 0 with one line per linearizable file', () => {
    const r = run(good, long);
    expect(r.stdout).toBe(`${good}: linearizable\n${long}: linearizable\n`);
    expect(r.status).toBe(0);
  });

  it('exits 1 and prints the window of a non-linearizable file', () => {
    const r = run(good, stale);
    expect(r.status).toBe(1);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`${good}: linearizable`);
    expect(lines[1]).toBe(`${stale}: NOT linearizable`);
    expect(lines[2]).toMatch(/^ {2}key "r": these 2 operations cannot be ordered/);
    expect(r.stdout).toContain('{"process":2,"type":"ok","f":"read","key":"r","value":1}  (invoke line 5, ok line 6)');
  });

  it('exits 2 on malformed input, naming file and line', () => {
    const r = run(badF, badJson, twoOutstanding, stale);
    expect(r.status).toBe(2);
    expect(r.stdout).toContain(`${badF}: malformed at line 2: unknown f "bogus"`);
    expect(r.stdout).toContain(`${badJson}: malformed at line 3: invalid JSON`);
    expect(r.stdout).toContain(`${twoOutstanding}: malformed at line 2: process 0 invokes while`);
    expect(r.stdout).toContain(`${stale}: NOT linearizable`);
    expect(r.stderr).toContain(`${badF}:2: unknown f "bogus"`);
    expect(r.stderr).toContain(`${twoOutstanding}:2:`);
  });

  it('exits 3 with UNKNOWN past the timeout', () => {
    const r = run('--timeout', '0ms', long);
    expect(r.stdout).toBe(`${long}: UNKNOWN (timeout)\n`);
    expect(r.status).toBe(3);
  });

  it('exits 2 on usage errors', () => {
    expect(run('--timeout', 'soon', good).status).toBe(2);
    expect(run('--model', 'queue', good).status).toBe(2);
    expect(run().status).toBe(2);
    expect(run(join(dir, 'missing.jsonl')).status).toBe(2);
  });
});

describe('runCheckHistory (in process)', () => {
  const sink = (): { text: string; write(chunk: string): void } => ({ text: '', write(chunk: string) { this.text += chunk; } });
  const options = { model: 'register' as const, timeoutMs: Infinity };

  it('ranks exit codes: malformed, then not linearizable, then unknown', async () => {
    expect(await runCheckHistory([stale, badF], options, sink(), sink())).toBe(2);
    expect(await runCheckHistory([good, stale], options, sink(), sink())).toBe(1);
    expect(await runCheckHistory([long, stale], { ...options, timeoutMs: 0 }, sink(), sink())).toBe(1);
    expect(await runCheckHistory([long, good], { ...options, timeoutMs: 0 }, sink(), sink())).toBe(3);
    expect(await runCheckHistory([good], options, sink(), sink())).toBe(0);
  });

  it('parses durations', () => {
    expect(parseDurationArgument('1500')).toBe(1500);
    expect(parseDurationArgument('250ms')).toBe(250);
    expect(parseDurationArgument('10s')).toBe(10_000);
    expect(parseDurationArgument('1.5m')).toBe(90_000);
    expect(parseDurationArgument('2h')).toBe(7_200_000);
    expect(() => parseDurationArgument('10 parsecs')).toThrow(/expected a duration/);
  });
});
