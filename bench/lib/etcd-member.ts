/**
 * One etcd member process (member-process.ts spawns, signals and waits for
 * it), which can also be paused: setpriv execs etcd, so the pid we hold is
 * etcd's and SIGSTOP stops etcd itself.
 */
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

export class EtcdMember extends MemberProcess {
  private paused = false;

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
