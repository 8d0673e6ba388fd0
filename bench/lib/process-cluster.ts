/**
 * What the local benchmark clusters (edgernetes-cluster.ts, etcd-cluster.ts)
 * share: a fixed set of server processes in one temp dir, with failure
 * injection (kill -9 a member or the leader, restart one on its data dir,
 * isolate one), bounded waits that end at once when a member dies unexpectedly,
 * and stop(), which kills everything and removes the data.
 *
 * A subclass says how to find the leader and when a restarted member follows
 * one; the rest is here. Invariant: members, slots and indexes are in the same
 * order and fixed for the cluster's life.
 */
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { trackDir, untrackDir } from './cleanup.js';
import type { BenchError } from './errors.js';
import type { MemberProcess } from './member-process.js';
import { NetIsolation } from './net-isolation.js';
import { isPortFree } from './ports.js';
import { waitUntil, type WaitOptions } from './wait.js';

/** Pause between two probes of a wait loop. */
export const PROBE_INTERVAL_MS = 50;

/** Where a member lives: its name, the uid it runs as when isolatable, the ports it listens on. */
export interface MemberSlot {
  readonly name: string;
  readonly dataDir: string;
  readonly uid: number | undefined;
  readonly ports: readonly number[];
}

export interface ProcessClusterShape<M extends MemberProcess> {
  readonly dir: string;
  readonly members: readonly M[];
  readonly slots: readonly MemberSlot[];
  readonly isolation: NetIsolation | undefined;
  /** "replica" or "member": how errors name one. */
  readonly noun: string;
  readonly newError: (message: string) => BenchError;
}

export abstract class ProcessCluster<O extends { readonly waitTimeoutMs: number }, M extends MemberProcess> {
  readonly dir: string;
  protected readonly members: readonly M[];
  private readonly slots: readonly MemberSlot[];
  private readonly isolation: NetIsolation | undefined;
  private readonly shape: ProcessClusterShape<M>;
  private stopped = false;

  protected constructor(
    readonly options: O,
    shape: ProcessClusterShape<M>,
  ) {
    ({ dir: this.dir, members: this.members, slots: this.slots, isolation: this.isolation } = shape);
    this.shape = shape;
  }

  /** Index of the current leader; waits (bounded) through an election. */
  abstract leaderIndex(): Promise<number>;

  /** Waits (bounded) until every live member answers and all agree on a live leader; returns its index. */
  abstract waitHealthy(): Promise<number>;

  /** True once restarted member `index` follows a live leader. */
  protected abstract followsLeader(index: number): Promise<boolean>;

  /** Closes the clients the cluster probes its members with. */
  protected abstract closeClients(): void;

  get size(): number {
    return this.members.length;
  }

  /** Process ids of the members (undefined for one not running). */
  get pids(): (number | undefined)[] {
    return this.members.map((m) => m.pid);
  }

  isRunning(index: number): boolean {
    return this.member(index).running;
  }

  /** kill -9 member `index` and wait until its process is gone. */
  async kill(index: number): Promise<void> {
    await this.member(index).kill('SIGKILL');
  }

  /** kill -9 the current leader; returns its index. */
  async killLeader(): Promise<number> {
    const leader = await this.leaderIndex();
    await this.kill(leader);
    return leader;
  }

  /**
   * Restarts member `index` on its data dir: kills it first if it still runs,
   * waits for the old process to be gone and its ports to be free (else the
   * new one fails with "address already in use"), then waits until it follows
   * a live leader.
   */
  async restart(index: number): Promise<void> {
    const m = this.member(index);
    await m.kill('SIGKILL');
    const slot = this.slots[index]!;
    const portsFree = async () => (await Promise.all(slot.ports.map(isPortFree))).every(Boolean);
    await waitUntil(portsFree, {
      what: `ports ${slot.ports.join(' and ')} of ${slot.name} to be free`,
      timeoutMs: this.options.waitTimeoutMs,
      intervalMs: PROBE_INTERVAL_MS,
    });
    m.start();
    await waitUntil(() => this.followsLeader(index), this.waitOptions(`restarted ${slot.name} to follow a leader`));
  }

  /**
   * Cuts member `index` off from its peers and from clients by dropping its
   * packets both ways, without breaking connections (see net-isolation.ts).
   * Needs the `isolatable` option. Lasts until heal(index), across restarts.
   */
  async isolate(index: number): Promise<void> {
    const { isolation, uid } = this.isolationOf(index, 'isolate');
    await isolation.isolate({ uid, ports: this.slots[index]!.ports });
  }

  /** Ends the isolation of member `index`. */
  async heal(index: number): Promise<void> {
    const { isolation, uid } = this.isolationOf(index, 'heal');
    await isolation.heal(uid);
  }

  /** Tail of member `index`'s log. */
  logTail(index: number): string {
    return this.member(index).logTail();
  }

  /** Kills every member, waits for them, removes the data. Idempotent; safe after a failed start. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.closeClients();
    try {
      await Promise.all(this.members.map((m) => m.kill('SIGKILL')));
      await this.isolation?.destroy();
    } finally {
      rmSync(this.dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 20 });
      untrackDir(this.dir);
    }
  }

  /**
   * Starts every member and waits (bounded) until the cluster is healthy; on
   * failure stops it (which removes its data) and rethrows.
   */
  protected async launch(): Promise<void> {
    try {
      for (const m of this.members) m.start();
      await this.waitHealthy();
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  /** Bounds of a wait that also ends at once if a member dies unexpectedly. */
  protected waitOptions(what: string): WaitOptions {
    return {
      what,
      timeoutMs: this.options.waitTimeoutMs,
      intervalMs: PROBE_INTERVAL_MS,
      abortIf: () => this.unexpectedExit(),
    };
  }

  protected member(index: number): M {
    const m = this.members[index];
    if (m === undefined) throw new RangeError(`${this.shape.noun} index ${index} not in 0..${this.members.length - 1}`);
    if (this.stopped) throw this.shape.newError(`cluster in ${this.dir} is stopped`);
    return m;
  }

  /** Whether member `index` is expected to answer: running and not isolated. */
  protected isLive(index: number): boolean {
    const uid = this.slots[index]!.uid;
    const isolated = uid !== undefined && this.isolation?.isIsolated(uid) === true;
    return this.members[index]!.running && !isolated;
  }

  /** Members expected to answer (see isLive). */
  protected liveIndexes(): number[] {
    return this.members.flatMap((_, i) => (this.isLive(i) ? [i] : []));
  }

  private isolationOf(index: number, what: string): { isolation: NetIsolation; uid: number } {
    this.member(index);
    const uid = this.slots[index]!.uid;
    if (this.isolation === undefined || uid === undefined) {
      throw this.shape.newError(`${what}: start the cluster with { isolatable: true }`);
    }
    return { isolation: this.isolation, uid };
  }

  /** An error when a member the cluster expects to run has exited (so waits fail at once). */
  private unexpectedExit(): Error | undefined {
    for (const [i, m] of this.members.entries()) {
      if (!m.running && m.describeExit() !== 'signal SIGKILL') {
        const name = this.slots[i]!.name;
        return this.shape.newError(`${this.shape.noun} ${name} exited (${m.describeExit()}):\n${m.logTail()}`);
      }
    }
    return undefined;
  }
}

/**
 * Creates a cluster's temp dir in `baseDir` (tracked, so that the exit hooks
 * remove it) and runs `prepare` on it; if that fails, removes the dir again.
 */
export async function createClusterDir<T>(
  baseDir: string,
  prefix: string,
  prepare: (dir: string) => Promise<T>,
): Promise<{ dir: string; prepared: T }> {
  const dir = mkdtempSync(join(baseDir, prefix));
  trackDir(dir);
  try {
    return { dir, prepared: await prepare(dir) };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    untrackDir(dir);
    throw err;
  }
}

/**
 * Creates the nftables table and the members' data dirs, owned by their uids
 * (the members write there as that uid; mode 0700, as etcd wants its data dir
 * private), and makes the cluster dir traversable by them.
 */
export async function prepareIsolation(dir: string, slots: readonly MemberSlot[]): Promise<NetIsolation> {
  chmodSync(dir, 0o755);
  for (const slot of slots) {
    mkdirSync(slot.dataDir, { mode: 0o700 });
    chownSync(slot.dataDir, slot.uid!, slot.uid!);
  }
  const isolation = await NetIsolation.create();
  try {
    for (const slot of slots) await isolation.register(slot.uid!);
  } catch (err) {
    await isolation.destroy();
    throw err;
  }
  return isolation;
}
