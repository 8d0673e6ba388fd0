// Goal: two processes (or two Wals in one process) never have the same WAL
// directory open; the refusal names the directory and the holder's PID; a lock
// left by a dead process does not block a restart. Method: a real second
// process opens the WAL and holds it; planted LOCK files with live/dead PIDs.
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Wal, WalLockedError } from '../../../src/raft/wal/index.js';
import { tempDir } from './helpers.js';

const walModule = new URL('../../../src/raft/wal/index.ts', import.meta.url).pathname;

describe('lock file', () => {
  it('refuses a second open in the same process until the first closes', async () => {
    const dir = tempDir();
    const { wal } = await Wal.open(dir);
    const error = await Wal.open(dir).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(WalLockedError);
    expect((error as WalLockedError).holderPid).toBe(process.pid);
    await wal.close();
    const { wal: again } = await Wal.open(dir);
    await again.close();
  });

  it('refuses while another process holds the WAL, naming the directory and its PID', async () => {
    const dir = tempDir();
    const script = `import { Wal } from ${JSON.stringify(walModule)};
      const { wal } = await Wal.open(${JSON.stringify(dir)});
      process.stdout.write('open\\n');
      process.stdin.on('end', async () => { await wal.close(); process.exit(0); });
      process.stdin.resume();`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      stdio: ['pipe', 'pipe', 'inherit'],
      cwd: new URL('../../../', import.meta.url).pathname,
    });
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('open') && resolve());
        child.on('exit', (code) => reject(new Error(`holder exited early with ${code}`)));
      });
      const error = await Wal.open(dir).catch((err: unknown) => err);
      expect(error).toBeInstanceOf(WalLockedError);
      expect((error as WalLockedError).holderPid).toBe(child.pid);
      expect((error as Error).message).toContain(dir);
      expect((error as Error).message).toContain(`PID ${child.pid}`);
    } finally {
      child.stdin.end();
      await new Promise((resolve) => child.once('exit', resolve));
    }
    const { wal } = await Wal.open(dir); // released on close
    await wal.close();
  });

  it('takes over a lock left by a process that is gone', async () => {
    const dir = tempDir();
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    writeFileSync(join(dir, 'LOCK'), `${gone.stdout}\n`);
    const { wal } = await Wal.open(dir);
    await wal.close();
  });
});
