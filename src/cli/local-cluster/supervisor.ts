/**
 * A local cluster: one `edgernetes server` process per replica of the layout,
 * on loopback, supervised by the `edgernetes up` process.
 *
 * - start(): starts every replica (logs appended to DIR/<id>.log); a fresh
 *   data dir bootstraps, an existing one resumes.
 * - waitForLeader(): polls Cluster.Status until a leader is known, bounded;
 *   fails early once too few replicas are left to ever elect one.
 * - A replica that exits without being asked to is reported through
 *   onUnexpectedExit; the others keep running.
 * - stop(): SIGTERM to every replica at once (each hands leadership over,
 *   flushes and exits), SIGKILL to any still running after the grace period.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { EdgernetesClient } from '../../client/client.js';
import { ClientError } from '../../client/errors.js';
import type { StatusResponse } from '../../gen/edgernetes/api/v1/cluster.js';
import { packageRoot } from '../package-root.js';
import { SERVER_NODE_FLAGS } from '../../server/node-flags.js';
import { ManagedProcess, type ExitInfo, type StopOutcome } from './child.js';
import { address, endpoints, replicaDataDir, replicaLogPath, type ClusterLayout, type ReplicaSlot } from './layout.js';

export const SERVER_ENTRY = join(packageRoot(), 'bin', 'edgernetes.mjs');
/** Pause between two status polls while waiting for a leader. */
const LEADER_POLL_INTERVAL_MS = 200;
/** Bound on one status poll. */
const STATUS_CALL_TIMEOUT_MS = 1_000;
/** Server settings `up` decides itself; inherited values would contradict the layout. */
const OVERRIDDEN_ENV = ['EDGERNETES_ID', 'EDGERNETES_DATA_DIR', 'EDGERNETES_LISTEN', 'EDGERNETES_PEERS', 'EDGERNETES_JOIN', 'EDGERNETES_ADVERTISE'];

export interface LocalClusterOptions {
  readonly dataDir: string;
  readonly layout: ClusterLayout;
  /** Environment of the replicas (EDGERNETES_* tuning such as election timeouts passes through). */
  readonly env: NodeJS.ProcessEnv;
}

/** No leader was elected within the bound, or too few replicas are left to elect one. */
export class LeaderNotElectedError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LeaderNotElectedError';
  }
}

export interface ReplicaStopOutcome extends StopOutcome {
  readonly id: string;
}

interface RunningReplica {
  readonly slot: ReplicaSlot;
  readonly process: ManagedProcess;
}

export class LocalCluster {
  private constructor(
    private readonly options: LocalClusterOptions,
    private readonly replicas: readonly RunningReplica[],
  ) {}

  /** Starts every replica; the caller has checked that the ports are free (requirePortsFree). */
  static async start(options: LocalClusterOptions): Promise<LocalCluster> {
    const { layout, dataDir } = options;
    const peers = layout.replicas.map((slot) => `${slot.id}=${address(layout, slot)}`).join(',');
    const env = { ...options.env };
    for (const name of OVERRIDDEN_ENV) delete env[name];
    for (const slot of layout.replicas) await mkdir(replicaDataDir(dataDir, slot), { recursive: true });
    const replicas: RunningReplica[] = [];
    try {
      for (const slot of layout.replicas) {
        const listen = address(layout, slot);
        const args = [...SERVER_NODE_FLAGS, SERVER_ENTRY, 'server', '--id', slot.id, '--data-dir', replicaDataDir(dataDir, slot), '--listen', listen, '--peers', peers];
        const logPath = replicaLogPath(dataDir, slot);
        const child = ManagedProcess.start({ name: `replica ${slot.id}`, command: process.execPath, args, env, logPath });
        replicas.push({ slot, process: child });
      }
    } catch (err) {
      // A log file that cannot be opened: leave nothing running behind.
      await Promise.all(replicas.map((r) => r.process.kill()));
      throw err;
    }
    return new LocalCluster(options, replicas);
  }

  get layout(): ClusterLayout {
    return this.options.layout;
  }

  get endpoints(): string[] {
    return endpoints(this.options.layout);
  }

  get runningCount(): number {
    return this.replicas.filter((r) => r.process.running).length;
  }

  /** Replicas that must run for a leader to be elected (a majority of the layout). */
  get quorumSize(): number {
    return Math.floor(this.replicas.length / 2) + 1;
  }

  logPath(id: string): string {
    const replica = this.replicas.find((r) => r.slot.id === id);
    if (replica === undefined) throw new RangeError(`no replica ${id} in this cluster`);
    return replicaLogPath(this.options.dataDir, replica.slot);
  }

  pids(): { id: string; pid: number | undefined }[] {
    return this.replicas.map((r) => ({ id: r.slot.id, pid: r.process.pid }));
  }

  onUnexpectedExit(listener: (id: string, exit: ExitInfo) => void): void {
    for (const r of this.replicas) r.process.onUnexpectedExit((exit) => listener(r.slot.id, exit));
  }

  /**
   * Resolves with the first status that names a leader, or null once `abort`
   * fires (within one poll); rejects past `timeoutMs` or once quorum is impossible.
   */
  async waitForLeader(timeoutMs: number, abort: AbortSignal): Promise<StatusResponse | null> {
    const deadlineMs = Date.now() + timeoutMs;
    const client = new EdgernetesClient({ endpoints: this.endpoints, callTimeoutMs: STATUS_CALL_TIMEOUT_MS });
    let lastError: unknown = null;
    try {
      while (Date.now() < deadlineMs) {
        if (abort.aborted) return null;
        this.requireQuorumAlive();
        try {
          const status = await client.clusterStatus({ timeoutMs: Math.max(1, Math.min(STATUS_CALL_TIMEOUT_MS, deadlineMs - Date.now())) });
          if (status.leaderId !== '') return status;
        } catch (err) {
          if (!(err instanceof ClientError)) throw err;
          lastError = err;
        }
        await sleep(Math.min(LEADER_POLL_INTERVAL_MS, Math.max(0, deadlineMs - Date.now())));
      }
    } finally {
      client.close();
    }
    const last = lastError === null ? '' : ` (last answer: ${(lastError as Error).message})`;
    throw new LeaderNotElectedError(`no leader was elected within ${timeoutMs} ms${last}; see the logs in ${this.options.dataDir}`);
  }

  private requireQuorumAlive(): void {
    if (this.runningCount >= this.quorumSize) return;
    const dead = this.replicas.filter((r) => !r.process.running).map((r) => r.slot.id);
    throw new LeaderNotElectedError(
      `only ${this.runningCount} of ${this.replicas.length} replicas are running (${dead.join(', ')} exited), ` +
        `${this.quorumSize} are needed to elect a leader; see ${dead.map((id) => this.logPath(id)).join(', ')}`,
    );
  }

  /** SIGTERM to all at once, SIGKILL past `graceMs`; resolves when every replica is gone. */
  stop(graceMs: number): Promise<ReplicaStopOutcome[]> {
    return Promise.all(this.replicas.map(async (r) => ({ id: r.slot.id, ...(await r.process.stop(graceMs)) })));
  }

  /** SIGKILL to all at once; resolves when every replica is gone. */
  async kill(): Promise<void> {
    await Promise.all(this.replicas.map((r) => r.process.kill()));
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
