/**
 * Goal: `npm run sim` keeps its contract: the last line is exactly
 * `sim: <N> seeds, <V> violations`, the rate is printed, `--seed S` alone
 * runs one seed, invalid options exit 2, and --jobs gives the same results,
 * in the same order, as one thread. Method: call main() in-process and capture what it prints.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../sim/main.js';

async function run(args: string[]): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => {
    lines.push(parts.join(' '));
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    const code = await main(args);
    return { code, lines: lines.flatMap((l) => l.split('\n')) };
  } finally {
    log.mockRestore();
    err.mockRestore();
  }
}

afterEach(() => vi.restoreAllMocks());

describe('sim command line', () => {
  it('runs N seeds and ends with the summary line; prints the rate', async () => {
    const { code, lines } = await run(['--seeds', '3', '--steps', '300']);
    expect(code).toBe(0);
    expect(lines.at(-1)).toBe('sim: 3 seeds, 0 violations');
    expect(lines.some((l) => /^rate: [\d.]+ seeds\/s/.test(l))).toBe(true);
  });

  it('--seed S alone replays exactly that one seed', async () => {
    const { lines } = await run(['--seed', '17', '--steps', '300', '--verbose']);
    expect(lines.at(-1)).toBe('sim: 1 seeds, 0 violations');
    expect(lines.filter((l) => l.startsWith('seed ')).map((l) => l.split(':')[0])).toEqual(['seed 17']);
  });

  it('rejects invalid options with exit code 2', async () => {
    expect((await run(['--replicas', '4'])).code).toBe(2);
    expect((await run(['--steps', '10'])).code).toBe(2);
    expect((await run(['--seeds', 'many'])).code).toBe(2);
  });

  it('--jobs 2 gives the same per-seed results, in the same order, as one thread', async () => {
    const digests = (lines: string[]): string[] =>
      lines.filter((l) => l.startsWith('seed ')).map((l) => `${l.split(':')[0]} ${/digest=(\w+)/.exec(l)?.[1]}`);
    const single = await run(['--seeds', '4', '--steps', '200', '--verbose', '--jobs', '1']);
    const parallel = await run(['--seeds', '4', '--steps', '200', '--verbose', '--jobs', '2']);
    expect(parallel.lines.at(-1)).toBe('sim: 4 seeds, 0 violations');
    expect(digests(parallel.lines)).toEqual(digests(single.lines));
    expect(digests(single.lines)).toHaveLength(4);
  });
});
