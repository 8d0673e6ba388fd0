/**
 * Test support: real `edgernetes server` processes on 127.0.0.1, each with its
 * own data dir, that tests can kill -9, restart, wipe and add. Every wait is
 * bounded; stopAll() kills whatever is still running.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EdgernetesClient } from '../../src/client/client.js';
import { SERVER_NODE_FLAGS } from '../../src/server/node-flags.js';

const BIN = new URL('../../bin/edgernetes.mjs', import.meta.url).pathname;

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface MemberSpec {
  readonly id: string;
  readonly address: string;
  readonly dataDir: string;
}

export interface LocalClusterOptions {
  readonly replicas: number;
  readonly extraArgs?: readonly string[];
}

export class LocalCluster {
  readonly root = mkdtempSync(join(tmpdir(), 'edgernetes-cluster-'));
  readonly members: MemberSpec[] = [];
  private readonly processes = new Map<string, ChildProcess>();
  private readonly clients: EdgernetesClient[] = [];

  private constructor(private readonly extraArgs: readonly string[]) {}

  static async start(options: LocalClusterOptions): Promise<LocalCluster> {
    const cluster = new LocalCluster(options.extraArgs ?? []);
    for (let i = 1; i <= options.replicas; i++) {
      cluster.members.push({ id: `n${i}`, address: `127.0.0.1:${await freePort()}`, dataDir: join(cluster.root, `n${i}`) });
    }
    for (const m of cluster.members) cluster.spawnMember(m, ['--peers', cluster.founders()]);
    await cluster.waitForLeader(20_000);
    return cluster;
  }

  founders(): string {
    return this.members
      .slice(0, 3)
      .map((m) => `${m.id}=${m.address}`)
      .join(',');
  }

  get endpoints(): string[] {
    return this.members.filter((m) => this.isRunning(m.id)).map((m) => m.address);
  }

  member(id: string): MemberSpec {
    const m = this.members.find((x) => x.id === id);
    if (m === undefined) throw new Error(`no member ${id}`);
    return m;
  }

  isRunning(id: string): boolean {
    const p = this.processes.get(id);
    return p !== undefined && p.exitCode === null && p.signalCode === null;
  }

  client(endpoints: readonly string[] = this.endpoints, callTimeoutMs = 5_000): EdgernetesClient {
    const c = new EdgernetesClient({ endpoints, callTimeoutMs });
    this.clients.push(c);
    return c;
  }

  private spawnMember(m: MemberSpec, args: readonly string[]): void {
    const log = createWriteStream(`${m.dataDir}.log`, { flags: 'a' });
    const child = spawn(
      process.execPath,
      [...SERVER_NODE_FLAGS, BIN, 'server', '--id', m.id, '--data-dir', m.dataDir, '--listen', m.address, '--log-level', 'info', ...args, ...this.extraArgs],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
    this.processes.set(m.id, child);
  }

  /** Starts `id` again on its data dir (after kill or stop). */
  async restart(id: string): Promise<void> {
    if (this.isRunning(id)) throw new Error(`${id} is still running`);
    this.spawnMember(this.member(id), ['--peers', this.founders()]);
  }

  /** Adds a new member that joins through the running ones. */
  async join(id: string): Promise<MemberSpec> {
    const m: MemberSpec = { id, address: `127.0.0.1:${await freePort()}`, dataDir: join(this.root, id) };
    this.members.push(m);
    const through = this.members.find((x) => x.id !== id && this.isRunning(x.id))!;
    this.spawnMember(m, ['--join', through.address]);
    return m;
  }

  async wipe(id: string): Promise<void> {
    if (this.isRunning(id)) throw new Error(`${id} is still running`);
    await rm(this.member(id).dataDir, { recursive: true, force: true });
  }

  async kill(id: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const p = this.processes.get(id);
    if (p === undefined || !this.isRunning(id)) return;
    const exited = new Promise<void>((resolve) => p.once('exit', () => resolve()));
    p.kill(signal);
    await Promise.race([exited, sleep(10_000)]);
  }

  exitCode(id: string): number | null {
    return this.processes.get(id)?.exitCode ?? null;
  }

  async leader(timeoutMs = 10_000): Promise<string> {
    return this.waitForLeader(timeoutMs);
  }

  /** Waits until a running member reports a leader that is itself running; returns its id. */
  async waitForLeader(timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      for (const m of this.members) {
        if (!this.isRunning(m.id)) continue;
        const c = new EdgernetesClient({ endpoints: [m.address], callTimeoutMs: 500 });
        try {
          const s = await c.clusterStatus({ localOnly: true, timeoutMs: 500 });
          if (s.leaderId !== '' && this.isRunning(s.leaderId)) return s.leaderId;
        } catch {
          // not up yet
        } finally {
          c.close();
        }
      }
      await sleep(100);
    }
    throw new Error(`no leader within ${timeoutMs} ms; logs in ${this.root}`);
  }

  /** Waits until `id` reports an applied index of at least `index`. */
  async waitApplied(id: string, index: number, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = -1;
    while (Date.now() < deadline) {
      const c = new EdgernetesClient({ endpoints: [this.member(id).address], callTimeoutMs: 500 });
      try {
        const s = await c.clusterStatus({ localOnly: true, timeoutMs: 500 });
        last = s.members[0]?.appliedIndex ?? -1;
        if (last >= index) return;
      } catch {
        // restarting
      } finally {
        c.close();
      }
      await sleep(100);
    }
    throw new Error(`${id} did not reach applied index ${index} within ${timeoutMs} ms (at ${last}); logs in ${this.root}`);
  }

  async stopAll(): Promise<void> {
    for (const c of this.clients) c.close();
    await Promise.all([...this.processes.keys()].map((id) => this.kill(id, 'SIGKILL')));
  }

  /** Stops everything and removes the data (kept when EDGERNETES_KEEP_TEST_DATA is set, for debugging). */
  async destroy(): Promise<void> {
    await this.stopAll();
    if (process.env.EDGERNETES_KEEP_TEST_DATA) return;
    await rm(this.root, { recursive: true, force: true });
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
