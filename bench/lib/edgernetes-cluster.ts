/**
 * A local Edgernetes cluster for benchmarks and tests: N `edgernetes server`
 * processes (real processes, real disks) on 127.0.0.1 with free ports, data
 * dirs under one temp dir in `baseDir` (give it the same disk as etcd's), the
 * same heartbeat and election settings as the etcd cluster it is compared
 * with, and failure injection: kill -9 a replica or the leader, restart a
 * replica, isolate one (a real partition, see net-isolation.ts; with
 * `isolatable`). The shape follows etcd-cluster.ts, so a bench treats both
 * clusters alike; what they share is in process-cluster.ts.
 *
 * Each replica serves clients and peers on one HOST:PORT, so isolating it
 * drops that port both ways plus every connection its uid opened: peers and
 * clients see silence, never a reset, and the replica keeps running (it steps
 * down by itself through check-quorum; pre-vote keeps it from disrupting the
 * others when it comes back).
 *
 * Every wait is bounded. stop() kills everything and removes the data; the
 * cleanup hooks do the same if the process exits without calling it.
 */
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EdgernetesClient } from '../../src/client/client.js';
import type { StatusResponse } from '../../src/gen/edgernetes/api/v1/cluster.js';
import { SERVER_NODE_FLAGS } from '../../src/server/node-flags.js';
import { EdgernetesClusterError } from './edgernetes-errors.js';
import { EdgernetesMember } from './edgernetes-member.js';
import { NetIsolation } from './net-isolation.js';
import { freePorts, LOOPBACK_HOST } from './ports.js';
import { createClusterDir, prepareIsolation, ProcessCluster, type MemberSlot } from './process-cluster.js';
import { waitUntil } from './wait.js';

export type EdgernetesLogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface EdgernetesClusterOptions {
  /** Number of replicas, 1..7. */
  readonly size: number;
  /** Raft tick; the heartbeat interval and the election timeout are multiples of it. */
  readonly tickIntervalMs: number;
  readonly heartbeatIntervalMs: number;
  readonly electionTimeoutMs: number;
  /** Where the temp dir holding the data dirs is created (same disk as the system compared with). */
  readonly baseDir: string;
  /**
   * Bound on start-up and on each wait for a leader or for health. Generous:
   * a replica is a Node process compiling TypeScript through tsx at start.
   */
  readonly waitTimeoutMs: number;
  /** `edgernetes server --log-level`. The benches use warn, as for etcd. */
  readonly logLevel: EdgernetesLogLevel;
  /** Run replicas under their own uids so that isolate() works (root and nftables needed). */
  readonly isolatable: boolean;
  /** `edgernetes server --snapshot-entries` (applied entries between two snapshots); undefined: the server's default. */
  readonly snapshotEntries: number | undefined;
  /** Node flags each replica starts with; default the product's (src/server/node-flags.ts). */
  readonly nodeFlags: readonly string[];
}

export const DEFAULT_EDGERNETES_CLUSTER_OPTIONS: EdgernetesClusterOptions = {
  size: 3,
  tickIntervalMs: 100,
  heartbeatIntervalMs: 100,
  electionTimeoutMs: 1_000,
  baseDir: tmpdir(),
  waitTimeoutMs: 60_000,
  logLevel: 'warn',
  isolatable: false,
  snapshotEntries: undefined,
  nodeFlags: SERVER_NODE_FLAGS,
};

/** Bound on one Status probe. */
const STATUS_TIMEOUT_MS = 500;

export interface EdgernetesMemberInfo {
  /** Replica id: n1, n2, … */
  readonly id: string;
  /** HOST:PORT serving clients and peers. */
  readonly endpoint: string;
  readonly port: number;
  readonly dataDir: string;
  /** The uid the replica runs as when the cluster is isolatable. */
  readonly uid: number | undefined;
}

export function validateEdgernetesClusterOptions(o: EdgernetesClusterOptions): void {
  if (!Number.isInteger(o.size) || o.size < 1 || o.size > 7) throw new RangeError(`size: ${o.size} not in 1..7`);
  if (!(Number.isInteger(o.tickIntervalMs) && o.tickIntervalMs >= 1)) {
    throw new RangeError(`tickIntervalMs: ${o.tickIntervalMs} must be an integer >= 1`);
  }
  if (!(o.heartbeatIntervalMs > 0 && o.heartbeatIntervalMs % o.tickIntervalMs === 0)) {
    throw new RangeError(`heartbeatIntervalMs: ${o.heartbeatIntervalMs} must be a multiple of tickIntervalMs`);
  }
  if (!(o.electionTimeoutMs > o.heartbeatIntervalMs && o.electionTimeoutMs % o.tickIntervalMs === 0)) {
    throw new RangeError(
      `electionTimeoutMs: ${o.electionTimeoutMs} must be a multiple of tickIntervalMs and > heartbeatIntervalMs`,
    );
  }
  if (!(o.waitTimeoutMs > 0)) throw new RangeError(`waitTimeoutMs: ${o.waitTimeoutMs} must be > 0`);
  if (o.snapshotEntries !== undefined && !(Number.isSafeInteger(o.snapshotEntries) && o.snapshotEntries >= 1)) {
    throw new RangeError(`snapshotEntries: ${o.snapshotEntries} must be an integer >= 1`);
  }
}

function memberInfos(o: EdgernetesClusterOptions, dir: string, ports: readonly number[]): EdgernetesMemberInfo[] {
  return ports.map((port, i) => ({
    id: `n${i + 1}`,
    endpoint: `${LOOPBACK_HOST}:${port}`,
    port,
    dataDir: join(dir, `n${i + 1}`),
    uid: o.isolatable ? NetIsolation.allocateUid() : undefined,
  }));
}

function createMembers(dir: string, infos: readonly EdgernetesMemberInfo[], o: EdgernetesClusterOptions): EdgernetesMember[] {
  const peers = infos.map((m) => `${m.id}=${m.endpoint}`).join(',');
  return infos.map(
    (info) =>
      new EdgernetesMember({
        id: info.id,
        logPath: join(dir, `${info.id}.log`),
        uid: info.uid,
        nodeFlags: o.nodeFlags,
        args: [
          'server',
          ...['--id', info.id, '--data-dir', info.dataDir, '--listen', info.endpoint, '--peers', peers],
          ...['--tick-interval-ms', String(o.tickIntervalMs), '--heartbeat-interval-ms', String(o.heartbeatIntervalMs)],
          ...['--election-timeout-ms', String(o.electionTimeoutMs), '--log-level', o.logLevel],
          ...(o.snapshotEntries === undefined ? [] : ['--snapshot-entries', String(o.snapshotEntries)]),
        ],
      }),
  );
}

/** Creates the data dirs of unisolated replicas: private, owned by us. No isolation, hence undefined. */
function createDataDirs(infos: readonly EdgernetesMemberInfo[]): undefined {
  for (const info of infos) mkdirSync(info.dataDir, { mode: 0o700 });
  return undefined;
}

function slotOf(info: EdgernetesMemberInfo): MemberSlot {
  return { name: info.id, dataDir: info.dataDir, uid: info.uid, ports: [info.port] };
}

export class EdgernetesCluster extends ProcessCluster<EdgernetesClusterOptions, EdgernetesMember> {
  private constructor(
    options: EdgernetesClusterOptions,
    dir: string,
    readonly infos: readonly EdgernetesMemberInfo[],
    members: readonly EdgernetesMember[],
    /** One single-endpoint client per replica, for Status probes about exactly that replica. */
    private readonly statusClients: readonly EdgernetesClient[],
    isolation: NetIsolation | undefined,
  ) {
    const newError = (message: string) => new EdgernetesClusterError(message);
    super(options, { dir, members, slots: infos.map(slotOf), isolation, noun: 'replica', newError });
  }

  /** Starts the cluster and waits (bounded) until every replica agrees on a leader. */
  static async start(options: Partial<EdgernetesClusterOptions> = {}): Promise<EdgernetesCluster> {
    const o: EdgernetesClusterOptions = { ...DEFAULT_EDGERNETES_CLUSTER_OPTIONS, ...options };
    validateEdgernetesClusterOptions(o);
    const ports = await freePorts(o.size);
    const { dir, prepared } = await createClusterDir(o.baseDir, 'edg-edgernetes-', async (dir) => {
      const infos = memberInfos(o, dir, ports);
      const isolation = o.isolatable ? await prepareIsolation(dir, infos.map(slotOf)) : createDataDirs(infos);
      return { infos, isolation };
    });
    const { infos, isolation } = prepared;
    const statusClients = infos.map(
      (m) => new EdgernetesClient({ endpoints: [m.endpoint], callTimeoutMs: STATUS_TIMEOUT_MS }),
    );
    const cluster = new EdgernetesCluster(o, dir, infos, createMembers(dir, infos, o), statusClients, isolation);
    await cluster.launch();
    return cluster;
  }

  /** HOST:PORT endpoints of all replicas, in member order. */
  get endpoints(): string[] {
    return this.infos.map((m) => m.endpoint);
  }

  /** Endpoints in failover order starting at replica `first`: a client built on them prefers `first`. */
  endpointsFrom(first: number): string[] {
    this.member(first);
    return this.endpoints.map((_, k) => this.endpoints[(first + k) % this.size]!);
  }

  /** Status of exactly replica `index` (its own view: role, term, leader). */
  async status(index: number): Promise<StatusResponse> {
    const status = await this.statusClients[index]!.clusterStatus({ localOnly: true, timeoutMs: STATUS_TIMEOUT_MS });
    const id = this.infos[index]!.id;
    if (status.memberId !== id) {
      throw new EdgernetesClusterError(`${this.infos[index]!.endpoint} answers as ${status.memberId}, not ${id}`);
    }
    return status;
  }

  /** Waits (bounded) until every running, unisolated replica answers and all agree on a live leader. */
  override async waitHealthy(): Promise<number> {
    return waitUntil(async () => {
      const live = this.liveIndexes();
      const statuses = await Promise.all(live.map((i) => this.status(i)));
      return this.agreedLeader(statuses, statuses.length);
    }, this.waitOptions(`Edgernetes cluster in ${this.dir} to be healthy`));
  }

  /**
   * Index of the current leader: a live replica that calls itself leader and
   * that a majority of the cluster, itself included, reports as leader. Waits
   * (bounded) through an election.
   */
  override async leaderIndex(): Promise<number> {
    return waitUntil(async () => {
      const settled = await Promise.allSettled(this.liveIndexes().map((i) => this.status(i)));
      const statuses = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      return this.agreedLeader(statuses, Math.floor(this.size / 2) + 1);
    }, this.waitOptions(`an Edgernetes leader in ${this.dir}`));
  }

  protected override async followsLeader(index: number): Promise<boolean> {
    const leader = this.indexOfId((await this.status(index)).leaderId);
    return leader !== undefined && this.member(leader).running;
  }

  protected override closeClients(): void {
    for (const c of this.statusClients) c.close();
  }

  private indexOfId(id: string): number | undefined {
    const index = this.infos.findIndex((m) => m.id === id);
    return index < 0 ? undefined : index;
  }

  /**
   * The leader's index when at least `votesMin` statuses name the same live,
   * unisolated replica, and that replica's own status names itself.
   */
  private agreedLeader(statuses: readonly StatusResponse[], votesMin: number): number | undefined {
    if (statuses.length < votesMin) return undefined;
    const counts = new Map<string, number>();
    for (const s of statuses) if (s.leaderId !== '') counts.set(s.leaderId, (counts.get(s.leaderId) ?? 0) + 1);
    for (const [leaderId, votes] of counts) {
      const index = this.indexOfId(leaderId);
      if (index === undefined || votes < votesMin || !this.liveIndexes().includes(index)) continue;
      if (statuses.some((s) => s.memberId === leaderId && s.leaderId === leaderId)) return index;
    }
    return undefined;
  }
}
