/**
 * One etcd member process (member-process.ts spawns, signals and waits for
 * it), which can also be paused: setpriv execs etcd, so the pid we hold is
 * etcd's and SIGSTOP stops etcd itself.
 */
import assert from 'node:assert/strict';
import { EtcdClusterError } from './errors.js';
import { MemberProcess } from './member-process.js';

export interface EtcdMemberSpec {
  readonly name: string;
  readonly etcdPath: string;
  /** Full etcd command line after the binary. */
  readonly args: readonly string[];
  readonly logPath: string;
  /** Run as this uid/gid (for network isolation, see net-isolation.ts); needs setpriv. Default: ours. */
  readonly uid?: number;
}

/** How a member bootstraps: with the others as a new cluster, or as a member added to a running one. */
const BOOTSTRAP_NEW = '--initial-cluster-state=new';
const BOOTSTRAP_EXISTING = '--initial-cluster-state=existing';

export class EtcdMember extends MemberProcess {
  private paused = false;
  private joinsExisting = false;

  constructor(readonly spec: EtcdMemberSpec) {
    super({
      label: `member ${spec.name}`,
      command: [spec.etcdPath, ...spec.args],
      logPath: spec.logPath,
      uid: spec.uid,
      droppedEnvPrefix: 'ETCD_', // etcd reads ETCD_* variables as flags.
      newError: (message) => new EtcdClusterError(message),
    });
  }

  get isPaused(): boolean {
    return this.paused && this.running;
  }

  /** Spawns the process, not paused. Precondition: the previous one (if any) has exited. */
  override start(): void {
    super.start();
    this.paused = false;
  }

  /**
   * From the next start() on, the member starts as one added to a running
   * cluster (etcd's `--initial-cluster-state=existing`) instead of
   * bootstrapping a new one: what a member whose data dir was emptied needs
   * after MemberRemove and MemberAdd of its peer URL. etcd reads the flag only
   * while the data dir holds no WAL, so later restarts are unaffected.
   */
  joinExistingCluster(): void {
    this.joinsExisting = true;
  }

  protected override commandLine(): readonly [string, ...string[]] {
    const command = super.commandLine();
    if (!this.joinsExisting) return command;
    assert.equal(command.filter((arg) => arg === BOOTSTRAP_NEW).length, 1, `${this.spec.name} has one ${BOOTSTRAP_NEW}`);
    const [file, ...args] = command;
    return [file, ...args.map((arg) => (arg === BOOTSTRAP_NEW ? BOOTSTRAP_EXISTING : arg))];
  }

  /** SIGSTOP: the process stops running; its sockets stay open and the kernel still ACKs. */
  pause(): void {
    this.signalRunning('SIGSTOP', 'pause');
    this.paused = true;
  }

  resume(): void {
    this.signalRunning('SIGCONT', 'resume');
    this.paused = false;
  }

  private signalRunning(signal: NodeJS.Signals, verb: string): void {
    if (!this.running) throw new EtcdClusterError(`member ${this.spec.name} is not running; cannot ${verb} it`);
    this.child!.kill(signal);
  }
}
