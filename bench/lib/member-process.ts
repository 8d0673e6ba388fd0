/**
 * One server process of a benchmark cluster (an Edgernetes replica or an etcd
 * member): spawn, signal, and wait for its exit.
 *
 * The process is started through `setpriv --pdeathsig KILL` when setpriv
 * exists (util-linux, on Debian), so the kernel kills it if this Node process
 * dies without running its exit handlers; cleanup.ts covers ordinary exits.
 * setpriv execs the command, so the pid we hold is the server's own: SIGKILL
 * to it is a crash of the server. With a uid, the server runs as that uid (for
 * network isolation, see net-isolation.ts). Output goes to a log file whose
 * tail is put into errors.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { trackChild } from './cleanup.js';
import { whichSync } from './etcd-install.js';
import { WaitTimeoutError, type BenchError } from './errors.js';

export interface MemberProcessSpec {
  /** How errors and waits name the process, e.g. "replica n1" or "member m0". */
  readonly label: string;
  /** The executable, then its arguments. */
  readonly command: readonly [string, ...string[]];
  readonly logPath: string;
  /** Run as this uid/gid (for network isolation); needs setpriv. Default: ours. */
  readonly uid?: number;
  /**
   * Environment variables with this prefix are not passed on: the server reads
   * them as flags, so one left in the bench's environment would silently change it.
   */
  readonly droppedEnvPrefix: string;
  /** The named error of the cluster the process belongs to. */
  readonly newError: (message: string) => BenchError;
}

const LOG_TAIL_BYTES = 4_096;
/** A SIGKILLed process is reaped within milliseconds; this bound only catches a stuck kernel. */
const EXIT_WAIT_MS_DEFAULT = 10_000;

function environmentWithout(prefix: string): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith(prefix)));
}

export class MemberProcess {
  protected child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();

  constructor(private readonly processSpec: MemberProcessSpec) {}

  /** True from start() until the process has exited (a stopped process is running). */
  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.running ? this.child!.pid : undefined;
  }

  /** Spawns the process. Precondition: the previous one (if any) has exited. */
  start(): void {
    const { label, uid } = this.processSpec;
    const command = this.commandLine();
    if (this.running) throw this.processSpec.newError(`${label} is already running (pid ${this.pid})`);
    const setpriv = whichSync('setpriv');
    if (uid !== undefined && setpriv === undefined) {
      throw this.processSpec.newError(`${label}: running as uid ${uid} needs setpriv (util-linux)`);
    }
    const identity = uid === undefined ? [] : [`--reuid=${uid}`, `--regid=${uid}`, '--clear-groups'];
    const [file, args] =
      setpriv === undefined ? [command[0], command.slice(1)] : [setpriv, [...identity, '--pdeathsig', 'KILL', '--', ...command]];
    const logFd = openSync(this.processSpec.logPath, 'a');
    try {
      const env = environmentWithout(this.processSpec.droppedEnvPrefix);
      const child = spawn(file, args, { stdio: ['ignore', logFd, logFd], env });
      this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
      child.once('error', () => undefined); // A spawn failure also emits 'exit'; running turns false.
      trackChild(child);
      this.child = child;
    } finally {
      closeSync(logFd);
    }
  }

  /** The command line start() runs: the spec's, unless a subclass varies it from one start to the next. */
  protected commandLine(): readonly [string, ...string[]] {
    return this.processSpec.command;
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
      timer = setTimeout(() => reject(new WaitTimeoutError(`${this.processSpec.label} to exit`, timeoutMs)), timeoutMs);
    });
    try {
      await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** How the process ended, for error messages ("exit code 1", "signal SIGKILL"), or "running". */
  describeExit(): string {
    if (this.child === undefined) return 'never started';
    if (this.running) return 'running';
    return this.child.signalCode !== null ? `signal ${this.child.signalCode}` : `exit code ${this.child.exitCode}`;
  }

  /** Last bytes of the process's log, for errors. */
  logTail(): string {
    const path = this.processSpec.logPath;
    if (!existsSync(path)) return '(no log)';
    const size = statSync(path).size;
    const length = Math.min(size, LOG_TAIL_BYTES);
    const buffer = Buffer.alloc(length);
    const fd = openSync(path, 'r');
    try {
      readSync(fd, buffer, 0, length, size - length);
    } finally {
      closeSync(fd);
    }
    return (length < size ? '…' : '') + buffer.toString('utf8');
  }
}

/** True while `pid` names a live process (a zombie counts as gone). */
export function isProcessAlive(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false;
  }
  return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
}
