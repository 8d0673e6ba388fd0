// Goal: no etcd process outlives the process that started it, whether that process
// exits without stopping its cluster (exit hooks kill the members and remove the
// data dir) or is itself killed with SIGKILL (the kernel kills the members through
// setpriv's parent-death signal).
// Method: a child Node process starts a cluster (fixtures/abandon-cluster.ts),
// reports the member pids, then exits or is SIGKILLed; the test then watches the
// pids, with a bounded wait.
import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { whichSync } from '../../bench/lib/etcd-install.js';
import { waitUntil } from '../../bench/lib/wait.js';
import { etcdUnavailable, isAlive } from './etcd-available.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/abandon-cluster.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface Abandoned {
  pids: number[];
  dir: string;
  exited: Promise<void>;
  kill: () => void;
}

/** Starts the fixture and resolves once it has printed its cluster (bounded by 60 s). */
function abandonCluster(mode: 'exit' | 'wait'): Promise<Abandoned> {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, mode], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`fixture printed no cluster within 60 s: ${stderr}`));
    }, 60_000);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = stdout.split('\n').find((l) => l.startsWith('{'));
      if (line === undefined) return;
      clearTimeout(timer);
      const { pids, dir } = JSON.parse(line) as { pids: number[]; dir: string };
      resolve({ pids, dir, exited, kill: () => child.kill('SIGKILL') });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (!stdout.includes('{')) reject(new Error(`fixture exited (${code}) before printing: ${stderr}`));
    });
  });
}

async function expectAllGone(pids: number[]): Promise<void> {
  await waitUntil(async () => (await Promise.all(pids.map(isAlive))).every((alive) => !alive), {
    what: `etcd members ${pids.join(', ')} to be gone`,
    timeoutMs: 10_000,
    intervalMs: 50,
  });
}

describe.skipIf(etcdUnavailable)('cleanup of abandoned etcd clusters', () => {
  it('kills the members and removes the data dir when the owner exits without stop()', async () => {
    const abandoned = await abandonCluster('exit');
    await abandoned.exited;
    expect(abandoned.pids).toHaveLength(3);
    await expectAllGone(abandoned.pids);
    expect(existsSync(abandoned.dir)).toBe(false);
  });

  it.skipIf(whichSync('setpriv') === undefined)('kills the members when the owner is SIGKILLed', async () => {
    const abandoned = await abandonCluster('wait');
    try {
      for (const pid of abandoned.pids) expect(await isAlive(pid)).toBe(true);
      abandoned.kill();
      await abandoned.exited;
      await expectAllGone(abandoned.pids);
    } finally {
      // No exit hook runs under SIGKILL: the data dir is left in the temp dir; remove it here.
      rmSync(abandoned.dir, { recursive: true, force: true });
    }
  });
});
