// Goal: a command whose stdout reader stops early (`edgectl --help | head -1`)
// ends quietly with its usual exit code instead of dying on EPIPE with a
// stack trace. Method: run the real binaries with stdout a pipe whose reading
// end is closed before they write, and look at the exit code and stderr.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const BIN = (name: string) => fileURLToPath(new URL(`../../bin/${name}.mjs`, import.meta.url));
const RUN_MS_MAX = 30_000;

/** Runs `node bin/<name>.mjs ARGS` with its stdout closed at once; its exit code and stderr. */
function runWithClosedStdout(name: string, args: readonly string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [BIN(name), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.destroy(); // nothing will read: the first write gets EPIPE
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} ${args.join(' ')} did not exit within ${RUN_MS_MAX} ms`));
    }, RUN_MS_MAX);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

describe('a closed stdout', () => {
  it('ends edgectl and edgernetes quietly with exit code 0 after help output', async () => {
    for (const [name, args] of [
      ['edgectl', ['--help']],
      ['edgectl', ['kv', '--help']],
      ['edgernetes', ['server', '--help']],
      ['edgernetes', ['--version']],
    ] as const) {
      const { code, stderr } = await runWithClosedStdout(name, args);
      expect({ name, args, code, stderr }).toEqual({ name, args, code: 0, stderr: '' });
    }
  }, 60_000);
});
