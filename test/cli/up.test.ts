// Goal: `edgernetes up` runs a local cluster of separate replica processes, stops them cleanly on
// Ctrl-C, resumes the same cluster (ids, ports, data) from the same data dir, reports a replica
// that dies while the others keep serving, and refuses flags that contradict the recorded
// cluster or ports already in use, without leaving a layout behind.
// Method: real `up` and edgectl subprocesses on free loopback ports in a temp dir; a replica is
// killed with SIGKILL by the pid in its WAL LOCK file.
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVER_NODE_FLAGS } from '../../src/server/node-flags.js';
import { edgectl, freePortBlock, replicaPids, sleep, UpProcess } from './processes.js';

/** Bound on `up` noticing that a replica died. */
const DEATH_REPORT_MS_MAX = 10_000;

let dataDir: string;
const started: UpProcess[] = [];

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'edgernetes-up-test-'));
});

afterAll(async () => {
  for (const up of started) await up.destroy();
  if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
});

function startUp(dir: string, args: string[] = []): UpProcess {
  const up = UpProcess.start(dir, args);
  started.push(up);
  return up;
}

describe('edgernetes up', () => {
  it('resumes the same cluster on the same data dir, and survives the death of one replica', async () => {
    const basePort = await freePortBlock(3);
    const first = startUp(dataDir, ['--base-port', String(basePort)]);
    const endpoints = await first.ready();
    expect(endpoints).toEqual([0, 1, 2].map((i) => `127.0.0.1:${basePort + i}`));
    expect(first.stdout).toContain(`edgectl --endpoints ${endpoints.join(',')}`);
    const put = await edgectl(['--endpoints', endpoints.join(','), 'kv', 'put', 'before-restart', 'kept']);
    expect(put.code, put.stderr).toBe(0);

    expect(await first.stop('SIGINT')).toBe(0);
    expect(first.stdout).toMatch(/stopping 3 replica\(s\)[\s\S]*stopped\n$/);
    expect(replicaPids(dataDir)).toEqual([]);
    const layout = JSON.parse(readFileSync(join(dataDir, 'cluster.json'), 'utf8'));
    expect(layout.replicas).toEqual([1, 2, 3].map((n, i) => ({ id: `n${n}`, port: basePort + i })));

    // No flags this time: everything comes from cluster.json.
    const second = startUp(dataDir);
    expect(await second.ready()).toEqual(endpoints);
    expect(second.stdout).toContain('resuming the local cluster of 3 replica(s)');
    const get = await edgectl(['--endpoints', endpoints.join(','), '-o', 'json', 'kv', 'get', 'before-restart']);
    expect(get.code, get.stderr).toBe(0);
    expect(JSON.parse(get.stdout).value).toBe('kept');

    // Replicas run with the node flags the server wants (src/server/node-flags.ts), and so log no advice.
    for (const pid of replicaPids(dataDir)) {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      expect(argv.slice(1, 1 + SERVER_NODE_FLAGS.length)).toEqual(SERVER_NODE_FLAGS);
    }
    for (const n of [1, 2, 3]) expect(readFileSync(join(dataDir, `n${n}.log`), 'utf8')).not.toContain('max-semi-space-size');

    const [victim] = replicaPids(dataDir);
    process.kill(victim!, 'SIGKILL');
    const deadlineMs = Date.now() + DEATH_REPORT_MS_MAX;
    while (Date.now() < deadlineMs && !/exited unexpectedly/.test(second.stderr)) await sleep(100);
    expect(second.stderr).toMatch(/replica n\d exited unexpectedly \(killed by SIGKILL\); see .*n\d\.log; 2 replica\(s\) keep running/);
    expect(second.running).toBe(true);
    const afterDeath = await edgectl(['--endpoints', endpoints.join(','), 'kv', 'put', 'after-death', 'ok']);
    expect(afterDeath.code, afterDeath.stderr).toBe(0);

    // A replica died during the session: the stop is clean but the exit code says something went wrong.
    expect(await second.stop('SIGTERM')).toBe(1);
    expect(replicaPids(dataDir)).toEqual([]);
  });

  it('refuses flags that contradict the recorded cluster', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'edgernetes-up-layout-'));
    try {
      const basePort = await freePortBlock(1);
      const layout = { version: 1, host: '127.0.0.1', replicas: [{ id: 'n1', port: basePort }] };
      await writeFile(join(dir, 'cluster.json'), JSON.stringify(layout));
      const up = startUp(dir, ['--replicas', '3']);
      expect(await up.exited).toBe(2);
      expect(up.stderr.trim()).toBe(
        `edgernetes up: ${dir} holds a cluster of 1 replicas, not 3: drop --replicas to resume it, or use another --data-dir ` +
          '(members are changed with edgectl cluster add-member/remove-member)',
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses ports in use before starting anything or recording a layout', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'edgernetes-up-ports-'));
    const basePort = await freePortBlock(3);
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(basePort + 1, '127.0.0.1', resolve));
    try {
      const up = startUp(dir, ['--base-port', String(basePort)]);
      expect(await up.exited).toBe(1);
      expect(up.stderr.trim()).toBe(
        `edgernetes up: 127.0.0.1:${basePort + 1} is already in use (is this cluster already running, or another program on that port?)`,
      );
      expect(existsSync(join(dir, 'cluster.json'))).toBe(false);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
      await rm(dir, { recursive: true, force: true });
    }
  });
});
