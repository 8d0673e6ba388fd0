/**
 * Helpers of the CLI tests: run edgectl as a real subprocess, run
 * `edgernetes up` in the background, find free loopback ports. Every wait is
 * bounded, and everything a test starts can be stopped by its process id.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isPortFree } from '../../src/cli/local-cluster/ports.js';

const EDGECTL = fileURLToPath(new URL('../../bin/edgectl.mjs', import.meta.url));
const EDGERNETES = fileURLToPath(new URL('../../bin/edgernetes.mjs', import.meta.url));
/** Bound on one edgectl run (its own --timeout is much shorter). */
const EDGECTL_RUN_MS_MAX = 30_000;
/** Bound on `up` printing its endpoints (process start-up + election, on a loaded machine). */
const UP_READY_MS_MAX = 60_000;
const UP_EXIT_MS_MAX = 30_000;
const PORT_SEARCH_ATTEMPTS = 50;

export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly elapsedMs: number;
}

export interface RunOptions {
  readonly input?: string | Uint8Array;
  readonly env?: NodeJS.ProcessEnv;
}

/** Runs `edgectl ARGS` to completion (killed past EDGECTL_RUN_MS_MAX). */
export function edgectl(args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const startedMs = Date.now();
  const child = spawn(process.execPath, [EDGECTL, ...args], {
    env: { ...process.env, EDGECTL_ENDPOINTS: '', ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stdin!.end(options.input ?? '');
  const stdout = collect(child, 'stdout');
  const stderr = collect(child, 'stderr');
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`edgectl ${args.join(' ')} did not finish within ${EDGECTL_RUN_MS_MAX} ms`));
    }, EDGECTL_RUN_MS_MAX);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: stdout(), stderr: stderr(), elapsedMs: Date.now() - startedMs });
    });
  });
}

function collect(child: ChildProcess, stream: 'stdout' | 'stderr'): () => string {
  let text = '';
  child[stream]!.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
  return () => text;
}

/** `count` consecutive loopback ports free right now (a random block, bounded attempts). */
export async function freePortBlock(count: number): Promise<number> {
  for (let attempt = 0; attempt < PORT_SEARCH_ATTEMPTS; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 40_000);
    let free = true;
    for (let i = 0; i < count && free; i++) free = await isPortFree('127.0.0.1', base + i);
    if (free) return base;
  }
  throw new Error(`no block of ${count} free ports found in ${PORT_SEARCH_ATTEMPTS} attempts`);
}

/** A running `edgernetes up`. */
export class UpProcess {
  private readonly stdoutText: () => string;
  private readonly stderrText: () => string;
  readonly exited: Promise<number | null>;

  private constructor(
    readonly dataDir: string,
    private readonly child: ChildProcess,
  ) {
    this.stdoutText = collect(child, 'stdout');
    this.stderrText = collect(child, 'stderr');
    this.exited = new Promise((resolve) => child.once('close', (code) => resolve(code)));
  }

  static start(dataDir: string, extraArgs: readonly string[] = []): UpProcess {
    const child = spawn(process.execPath, [EDGERNETES, 'up', '--data-dir', dataDir, ...extraArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
    return new UpProcess(dataDir, child);
  }

  get stdout(): string {
    return this.stdoutText();
  }

  get stderr(): string {
    return this.stderrText();
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The endpoints `up` printed once the cluster had a leader. */
  async ready(): Promise<string[]> {
    const deadlineMs = Date.now() + UP_READY_MS_MAX;
    while (Date.now() < deadlineMs && this.running) {
      const match = /^Endpoints: (\S+)$/m.exec(this.stdout);
      if (match !== null) return match[1]!.split(',');
      await sleep(100);
    }
    throw new Error(`edgernetes up did not become ready\nstdout:\n${this.stdout}\nstderr:\n${this.stderr}`);
  }

  /** Sends `signal` and waits (bounded) for `up` to exit; returns its exit code. */
  async stop(signal: NodeJS.Signals = 'SIGINT'): Promise<number | null> {
    if (this.running) this.child.kill(signal);
    return withTimeout(this.exited, UP_EXIT_MS_MAX, 'edgernetes up did not exit');
  }

  /** Last resort for afterAll: stops `up`, then SIGKILLs any replica of its data dir still running. */
  async destroy(): Promise<void> {
    try {
      if (this.running) await this.stop('SIGTERM');
    } catch {
      this.child.kill('SIGKILL');
    }
    for (const pid of replicaPids(this.dataDir)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }
}

/**
 * Process ids of live replicas of `dataDir`, from their WAL LOCK files; a pid
 * counts only if that process's command line names the data dir (pid reuse).
 */
export function replicaPids(dataDir: string): number[] {
  const layoutPath = join(dataDir, 'cluster.json');
  if (!existsSync(layoutPath)) return [];
  const layout = JSON.parse(readFileSync(layoutPath, 'utf8')) as { replicas: { id: string }[] };
  const pids: number[] = [];
  for (const { id } of layout.replicas) {
    const lock = join(dataDir, id, 'wal', 'LOCK');
    if (!existsSync(lock)) continue;
    const pid = Number.parseInt(readFileSync(lock, 'utf8'), 10);
    const cmdline = `/proc/${pid}/cmdline`;
    if (Number.isSafeInteger(pid) && existsSync(cmdline) && readFileSync(cmdline, 'utf8').includes(join(dataDir, id))) pids.push(pid);
  }
  return pids;
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${message} within ${ms} ms`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
