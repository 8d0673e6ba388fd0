/**
 * One supervised child process of a local cluster (a replica today; agents
 * later): started with its stdout and stderr appended to its own log file,
 * stopped with SIGTERM and, past a bounded grace period, SIGKILL.
 *
 * Contract: `exited` settles exactly once, when the process is gone (or could
 * not be started). An exit the supervisor did not ask for (no stop()/kill()
 * before it) is an unexpected exit, reported to the onUnexpectedExit listener.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';

export interface ProcessSpec {
  /** Shown in reports, e.g. "replica n2". */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  readonly logPath: string;
}

export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Set when the process could not be started at all. */
  readonly spawnError?: Error;
}

export interface StopOutcome {
  readonly exit: ExitInfo;
  /** True when the grace period passed and SIGKILL was needed. */
  readonly killed: boolean;
}

export function describeExit(exit: ExitInfo): string {
  if (exit.spawnError !== undefined) return `could not start: ${exit.spawnError.message}`;
  return exit.signal !== null ? `killed by ${exit.signal}` : `exit code ${exit.code}`;
}

export class ManagedProcess {
  readonly exited: Promise<ExitInfo>;
  private exitInfo: ExitInfo | null = null;
  private stopRequested = false;
  private readonly unexpectedExitListeners: ((exit: ExitInfo) => void)[] = [];

  private constructor(
    readonly spec: ProcessSpec,
    private readonly child: ChildProcess,
  ) {
    this.exited = new Promise((resolve) => {
      const settle = (exit: ExitInfo) => {
        if (this.exitInfo !== null) return;
        this.exitInfo = exit;
        resolve(exit);
        if (!this.stopRequested) for (const listener of this.unexpectedExitListeners) listener(exit);
      };
      child.once('exit', (code, signal) => settle({ code, signal }));
      // 'error' without a pid: the process never started, so no 'exit' will follow.
      child.once('error', (err) => {
        if (child.pid === undefined) settle({ code: null, signal: null, spawnError: err });
      });
    });
  }

  static start(spec: ProcessSpec): ManagedProcess {
    const logFd = openSync(spec.logPath, 'a');
    try {
      const child = spawn(spec.command, [...spec.args], { env: spec.env, stdio: ['ignore', logFd, logFd] });
      return new ManagedProcess(spec, child);
    } finally {
      // The child holds its own copy of the descriptor.
      closeSync(logFd);
    }
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.exitInfo === null;
  }

  onUnexpectedExit(listener: (exit: ExitInfo) => void): void {
    this.unexpectedExitListeners.push(listener);
  }

  /** SIGTERM, then SIGKILL if still running after `graceMs`; resolves once the process is gone. */
  async stop(graceMs: number): Promise<StopOutcome> {
    this.stopRequested = true;
    if (this.exitInfo !== null) return { exit: this.exitInfo, killed: false };
    this.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'grace-over'>((resolve) => (timer = setTimeout(() => resolve('grace-over'), graceMs)));
    const first = await Promise.race([this.exited, graceOver]);
    clearTimeout(timer);
    if (first !== 'grace-over') return { exit: first, killed: false };
    this.child.kill('SIGKILL');
    return { exit: await this.exited, killed: true };
  }

  /** SIGKILL at once (a second Ctrl-C); resolves once the process is gone. */
  async kill(): Promise<ExitInfo> {
    this.stopRequested = true;
    if (this.exitInfo === null) this.child.kill('SIGKILL');
    return this.exited;
  }
}
