// Goal: `npm run bench -- <name> --help` prints that bench's description, and a bad
// option exits 2 naming the option, with the usage (never a stack trace).
// Method: run bench/main.ts in a child process, as `npm run bench` does.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

function bench(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/main.ts', ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('bench dispatcher', () => {
  it('--help prints the bench description and exits 0', () => {
    const r = bench('write', '--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^`npm run bench -- write \[--vs etcd\]/);
    expect(r.stdout).toContain('--prime-seconds');
    expect(r.stdout).not.toContain('/**');
  });

  it('an unknown option or a bad value exits 2 naming it, with the usage', () => {
    const unknown = bench('write', '--bogus');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/^bench write: Unknown option '--bogus'/);
    expect(unknown.stderr).toContain('npm run bench -- write [--vs etcd]');
    expect(unknown.stderr).not.toMatch(/\n\s+at /);

    const bad = bench('read', '--rounds', 'x');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^bench read: --rounds: x is not a positive number/);
  });

  it('an unknown bench lists the ones there are', () => {
    const r = bench('nope');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/names: .*write/);
  });
});
