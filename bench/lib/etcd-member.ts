/**
 * One etcd member process: spawn, signal, and wait for its exit.
 *
 * The process is started through `setpriv --pdeathsig KILL` when setpriv exists
 * (util-linux, present on Debian), so the kernel kills it if this Node process
 * dies without running its exit handlers; cleanup.ts covers ordinary exits.
 * setpriv execs etcd, so the pid we hold is etcd's. Output goes to a log file
 * whose tail is put into errors.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { trackChild } from './cleanup.js';
import { whichSync } from './etcd-install.js';
import { EtcdClusterError, WaitTimeoutError } from './errors.js';

export interface EtcdMemberSpec {
  readonly name: string;
  readonly etcdPath: string;
  /** Full etcd command line after the binary. */
  readonly args: readonly string[];
  readonly logPath: string;
  /** Run as this uid/gid (for network isolation, see net-isolation.ts); needs setpriv. Default: ours. */
  readonly uid?: number;
}

const LOG_TAIL_BYTES = 4_096;
/** A SIGKILLed process is reaped within milliseconds; this bound only catches a stuck kernel. */
const EXIT_WAIT_MS_DEFAULT = 10_000;

/** Environment without ETCD_* variables, which etcd would read as flags. */
function cleanEnvironment(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ETCD_')));
}

export class EtcdMember {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private paused = false;

  constructor(readonly spec: EtcdMemberSpec) {}

  /** True from start() until the process has exited (a paused process is running). */
  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  get isPaused(): boolean {
    return this.paused && this.running;
  }

  get pid(): number | undefined {
    return this.running ? this.child!.pid : undefined;
  }

  /** Spawns the process. Precondition: the previous one (if any) has exited. */
  start(): void {
    if (this.running) throw new EtcdClusterError(`member ${this.spec.name} is already running (pid ${this.pid})`);
    const setpriv = whichSync('setpriv');
    const uid = this.spec.uid;
    if (uid !== undefined && setpriv === undefined) {
      throw new EtcdClusterError(`member ${this.spec.name}: running as uid ${uid} needs setpriv (util-linux)`);
    }
    const identity = uid === undefined ? [] : [`--reuid=${uid}`, `--regid=${uid}`, '--clear-groups'];
    const [file, args] =
      setpriv === undefined
        ? [this.spec.etcdPath, [...this.spec.args]]
        : [setpriv, [...identity, '--pdeathsig', 'KILL', '--', this.spec.etcdPath, ...this.spec.args]];
    const logFd = openSync(this.spec.logPath, 'a');
    try {
      const child = spawn(file, args, { stdio: ['ignore', logFd, logFd], env: cleanEnvironment() });
      this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
      child.once('error', () => undefined); // A spawn failure also emits 'exit'; running turns false.
      trackChild(child);
      this.child = child;
      this.paused = false;
    } finally {
      closeSync(logFd);
    }
  }

  /** Sends `signal` and waits (bounded) until the process is gone. No-op when not running. */
  async kill(signal: NodeJS.Signals = 'SIGKILL', timeoutMs = EXIT_WAIT_MS_DEFAULT): Promise<void> {
    if (!this.running) return;
    this.child!.kill(signal);
    await this.waitExited(timeoutMs);
  }

  /** Waits (bounded) until the process has exited. */
  async waitExited(timeoutMs = EXIT_WAIT_MS_DEFAULT): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new WaitTimeoutError(`member ${this.spec.name} to exit`, timeoutMs)), timeoutMs);
    });
    try {
      await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGSTOP: the process stops running; its sockets stay open and the kernel still ACKs. */
  pause(): void {
    if (!this.running) throw new EtcdClusterError(`member ${this.spec.name} is not running; cannot pause it`);
    this.child!.kill('SIGSTOP');
    this.paused = true;
  }

  resume(): void {
    if (!this.running) throw new EtcdClusterError(`member ${this.spec.name} is not running; cannot resume it`);
    this.child!.kill('SIGCONT');
    this.paused = false;
  }

  /** How the process ended, for error messages ("exit code 1", "signal SIGKILL"), or "running". */
  describeExit(): string {
    if (this.child === undefined) return 'never started';
    if (this.running) return 'running';
    return this.child.signalCode !== null ? `signal ${this.child.signalCode}` : `exit code ${this.child.exitCode}`;
  }

  /** Last lines of the member's log, for errors. */
  logTail(): string {
    if (!existsSync(this.spec.logPath)) return '(no log)';
    const size = statSync(this.spec.logPath).size;
    const length = Math.min(size, LOG_TAIL_BYTES);
    const buffer = Buffer.alloc(length);
    const fd = openSync(this.spec.logPath, 'r');
    try {
      readSync(fd, buffer, 0, length, size - length);
    } finally {
      closeSync(fd);
    }
    return (length < size ? '…' : '') + buffer.toString('utf8');
  }
}
