/**
 * One `edgernetes server` process of a benchmark cluster: spawn, signal, and
 * wait for its exit.
 *
 * The replica is `node bin/edgernetes.mjs server …`, started through
 * `setpriv --pdeathsig KILL` when setpriv exists (util-linux, on Debian), so
 * the kernel kills it if this Node process dies without running its exit
 * handlers; cleanup.ts covers ordinary exits. setpriv execs node, and the
 * server runs in that node process (tsx registers in-process), so the pid we
 * hold is the replica's own: SIGKILL to it is a crash of the replica. With a
 * uid, the replica runs as that uid (for network isolation, see
 * net-isolation.ts). Output goes to a log file whose tail is put into errors.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { trackChild } from './cleanup.js';
import { EdgernetesClusterError } from './edgernetes-errors.js';
import { whichSync } from './etcd-install.js';
import { WaitTimeoutError } from './errors.js';

/** The server's entry point (bin/edgernetes.mjs), run by this very node binary. */
export const EDGERNETES_BIN = fileURLToPath(new URL('../../bin/edgernetes.mjs', import.meta.url));

export interface EdgernetesMemberSpec {
  /** Replica id, e.g. "n1". */
  readonly id: string;
  /** Command line after `edgernetes`, starting with `server`. */
  readonly args: readonly string[];
  readonly logPath: string;
  /** Run as this uid/gid (for network isolation); needs setpriv. Default: ours. */
  readonly uid?: number;
}

const LOG_TAIL_BYTES = 4_096;
/** A SIGKILLed process is reaped within milliseconds; this bound only catches a stuck kernel. */
const EXIT_WAIT_MS_DEFAULT = 10_000;

/**
 * Environment without EDGERNETES_* variables: the server reads every flag from
 * one, so a variable left in the bench's environment (e.g. EDGERNETES_JOIN)
 * would silently change the replica.
 */
function cleanEnvironment(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('EDGERNETES_')));
}

export class EdgernetesMember {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();

  constructor(readonly spec: EdgernetesMemberSpec) {}

  /** True from start() until the process has exited. */
  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.running ? this.child!.pid : undefined;
  }

  /** Spawns the replica. Precondition: the previous process (if any) has exited. */
  start(): void {
    if (this.running) throw new EdgernetesClusterError(`replica ${this.spec.id} is already running (pid ${this.pid})`);
    const setpriv = whichSync('setpriv');
    const uid = this.spec.uid;
    if (uid !== undefined && setpriv === undefined) {
      throw new EdgernetesClusterError(`replica ${this.spec.id}: running as uid ${uid} needs setpriv (util-linux)`);
    }
    const identity = uid === undefined ? [] : [`--reuid=${uid}`, `--regid=${uid}`, '--clear-groups'];
    const command = [process.execPath, EDGERNETES_BIN, ...this.spec.args];
    const [file, args] =
      setpriv === undefined ? [command[0]!, command.slice(1)] : [setpriv, [...identity, '--pdeathsig', 'KILL', '--', ...command]];
    const logFd = openSync(this.spec.logPath, 'a');
    try {
      const child = spawn(file, args, { stdio: ['ignore', logFd, logFd], env: cleanEnvironment() });
      this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
      child.once('error', () => undefined); // A spawn failure also emits 'exit'; running turns false.
      trackChild(child);
      this.child = child;
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
      timer = setTimeout(() => reject(new WaitTimeoutError(`replica ${this.spec.id} to exit`, timeoutMs)), timeoutMs);
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

  /** Last bytes of the replica's log, for errors. */
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
