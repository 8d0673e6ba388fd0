/**
 * A local etcd cluster for benchmarks and tests: N members on 127.0.0.1 with
 * free ports, data dirs under one temp dir, fsync on (etcd's default), and
 * failure injection: kill -9 a member or the leader, restart a member, isolate
 * one (a real partition, see net-isolation.ts; with `isolatable`), pause one
 * (SIGSTOP).
 *
 * Isolation (option `isolatable`, root and nftables needed): every member runs
 * under its own uid, and isolate(i) drops all packets of member i's connections
 * (peers and clients, both directions) without breaking them; heal(i) lets them
 * flow again. The member keeps running: it can step down by itself (etcd always
 * runs with check-quorum) and campaign (pre-vote keeps it from disrupting).
 *
 * About pause: a SIGSTOPped member sends nothing and answers nothing, but its
 * sockets stay open and the kernel still accepts and ACKs what peers send until
 * the buffers fill. To its peers and clients that looks like an isolated member
 * whose connections did not break — what the "isolated leader" failover bench
 * needs to observe (failure detected by timeout, not by a broken connection).
 * It is not a partition: the member does not run meanwhile, so it cannot step
 * down by itself or notice anything; on resume it carries on from where it was.
 *
 * Every wait is bounded. stop() kills everything and removes the data; the
 * cleanup hooks do the same if the process exits without calling it.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { EtcdClient, type EtcdStatus } from './etcd-client.js';
import { ensureEtcd } from './etcd-install.js';
import { EtcdMember } from './etcd-member.js';
import { EtcdClusterError } from './errors.js';
import { NetIsolation } from './net-isolation.js';
import { freePorts, LOOPBACK_HOST } from './ports.js';
import { createClusterDir, prepareIsolation, PROBE_INTERVAL_MS, ProcessCluster, type MemberSlot } from './process-cluster.js';
import { waitUntil } from './wait.js';

export interface EtcdClusterOptions {
  /** Number of members, 1..7. */
  readonly size: number;
  readonly heartbeatIntervalMs: number;
  /** etcd requires at least 5 heartbeat intervals. */
  readonly electionTimeoutMs: number;
  /** Pre-vote (etcd's --pre-vote; default on, as in etcd 3.5+ and in Edgernetes). */
  readonly preVote: boolean;
  /** Where the temp dir holding the data dirs is created (same disk as the system compared with). */
  readonly baseDir: string;
  /** Bound on start-up and on each wait for a leader or for health. */
  readonly waitTimeoutMs: number;
  /** etcd --log-level: debug, info, warn, error. */
  readonly logLevel: string;
  /** Run members under their own uids so that isolate() works (root and nftables needed). */
  readonly isolatable: boolean;
  /** etcd --snapshot-count (applied entries between two snapshots); undefined: etcd's default (100,000 in 3.4). */
  readonly snapshotCount: number | undefined;
  /**
   * Give each member a --listen-metrics-urls listener (its own port): unlike
   * the client URL, it answers before the member serves clients.
   */
  readonly metricsListener: boolean;
}

export const DEFAULT_ETCD_CLUSTER_OPTIONS: EtcdClusterOptions = {
  size: 3,
  heartbeatIntervalMs: 100,
  electionTimeoutMs: 1_000,
  preVote: true,
  baseDir: tmpdir(),
  waitTimeoutMs: 30_000,
  logLevel: 'warn',
  isolatable: false,
  snapshotCount: undefined,
  metricsListener: false,
};

/** Bound on one Status probe. */
const STATUS_TIMEOUT_MS = 500;

export interface EtcdMemberInfo {
  readonly name: string;
  /** HOST:PORT of the client URL (what the gRPC client dials). */
  readonly clientEndpoint: string;
  readonly clientPort: number;
  readonly peerPort: number;
  /** Port of the metrics listener, with the `metricsListener` option. */
  readonly metricsPort: number | undefined;
  readonly dataDir: string;
  /** The uid the member runs as when the cluster is isolatable. */
  readonly uid: number | undefined;
}

export function validateEtcdClusterOptions(o: EtcdClusterOptions): void {
  if (!Number.isInteger(o.size) || o.size < 1 || o.size > 7) throw new RangeError(`size: ${o.size} not in 1..7`);
  if (!(o.heartbeatIntervalMs >= 1)) throw new RangeError(`heartbeatIntervalMs: ${o.heartbeatIntervalMs} must be >= 1`);
  if (!(o.electionTimeoutMs >= 5 * o.heartbeatIntervalMs)) {
    throw new RangeError(
      `electionTimeoutMs: ${o.electionTimeoutMs} must be >= 5 × heartbeatIntervalMs (${o.heartbeatIntervalMs})`,
    );
  }
  if (!(o.waitTimeoutMs > 0)) throw new RangeError(`waitTimeoutMs: ${o.waitTimeoutMs} must be > 0`);
  if (o.snapshotCount !== undefined && !(Number.isSafeInteger(o.snapshotCount) && o.snapshotCount >= 1)) {
    throw new RangeError(`snapshotCount: ${o.snapshotCount} must be an integer >= 1`);
  }
}

function url(port: number): string {
  return `http://${LOOPBACK_HOST}:${port}`;
}

function memberArgs(info: EtcdMemberInfo, initialCluster: string, token: string, o: EtcdClusterOptions): string[] {
  return [
    `--name=${info.name}`,
    `--data-dir=${info.dataDir}`,
    `--listen-client-urls=${url(info.clientPort)}`,
    `--advertise-client-urls=${url(info.clientPort)}`,
    `--listen-peer-urls=${url(info.peerPort)}`,
    `--initial-advertise-peer-urls=${url(info.peerPort)}`,
    `--initial-cluster=${initialCluster}`,
    '--initial-cluster-state=new',
    `--initial-cluster-token=${token}`,
    `--heartbeat-interval=${o.heartbeatIntervalMs}`,
    `--election-timeout=${o.electionTimeoutMs}`,
    `--pre-vote=${o.preVote}`,
    '--logger=zap',
    '--log-outputs=stderr',
    `--log-level=${o.logLevel}`,
    ...(o.snapshotCount === undefined ? [] : [`--snapshot-count=${o.snapshotCount}`]),
    ...(info.metricsPort === undefined ? [] : [`--listen-metrics-urls=${url(info.metricsPort)}`]),
  ];
}

/**
 * Names, endpoints, ports (client, peer pairs from `ports`, then one metrics
 * port per member with `metricsListener`) and data dirs of the members.
 */
function memberInfos(o: EtcdClusterOptions, dir: string, ports: readonly number[]): EtcdMemberInfo[] {
  return Array.from({ length: o.size }, (_, i) => ({
    name: `m${i}`,
    clientEndpoint: `${LOOPBACK_HOST}:${ports[2 * i]}`,
    clientPort: ports[2 * i]!,
    peerPort: ports[2 * i + 1]!,
    metricsPort: o.metricsListener ? ports[2 * o.size + i]! : undefined,
    dataDir: join(dir, `m${i}`),
    uid: o.isolatable ? NetIsolation.allocateUid() : undefined,
  }));
}

function slotOf(info: EtcdMemberInfo): MemberSlot {
  const ports = [info.clientPort, info.peerPort, ...(info.metricsPort === undefined ? [] : [info.metricsPort])];
  return { name: info.name, dataDir: info.dataDir, uid: info.uid, ports };
}

function createMembers(
  etcdPath: string,
  dir: string,
  infos: readonly EtcdMemberInfo[],
  o: EtcdClusterOptions,
): EtcdMember[] {
  const initialCluster = infos.map((m) => `${m.name}=${url(m.peerPort)}`).join(',');
  const token = `edg-bench-${randomUUID()}`;
  return infos.map(
    (info) =>
      new EtcdMember({
        name: info.name,
        etcdPath,
        args: memberArgs(info, initialCluster, token, o),
        logPath: join(dir, `${info.name}.log`),
        uid: info.uid,
      }),
  );
}

export class EtcdCluster extends ProcessCluster<EtcdClusterOptions, EtcdMember> {
  /** Member id (decimal uint64) → member index, learned from Status at start. */
  private readonly indexById = new Map<string, number>();

  private constructor(
    options: EtcdClusterOptions,
    dir: string,
    readonly version: string,
    readonly infos: readonly EtcdMemberInfo[],
    members: readonly EtcdMember[],
    private readonly statusClient: EtcdClient,
    isolation: NetIsolation | undefined,
  ) {
    const newError = (message: string) => new EtcdClusterError(message);
    super(options, { dir, members, slots: infos.map(slotOf), isolation, noun: 'member', newError });
  }

  /** Starts the cluster and waits (bounded) until every member agrees on a leader. */
  static async start(options: Partial<EtcdClusterOptions> = {}): Promise<EtcdCluster> {
    const o: EtcdClusterOptions = { ...DEFAULT_ETCD_CLUSTER_OPTIONS, ...options };
    validateEtcdClusterOptions(o);
    const { etcdPath, version } = await ensureEtcd();
    const ports = await freePorts((o.metricsListener ? 3 : 2) * o.size);
    const statusClient = await EtcdClient.create({
      endpoints: Array.from({ length: o.size }, (_, i) => `${LOOPBACK_HOST}:${ports[2 * i]}`),
      callTimeoutMs: STATUS_TIMEOUT_MS,
      attemptTimeoutMs: STATUS_TIMEOUT_MS,
    });
    const { dir, prepared } = await createClusterDir(o.baseDir, 'edg-etcd-', async (dir) => {
      const infos = memberInfos(o, dir, ports);
      const isolation = o.isolatable ? await prepareIsolation(dir, infos.map(slotOf)) : undefined;
      return { infos, isolation };
    }).catch((err: unknown) => {
      statusClient.close();
      throw err;
    });
    const { infos, isolation } = prepared;
    const members = createMembers(etcdPath, dir, infos, o);
    const cluster = new EtcdCluster(o, dir, version, infos, members, statusClient, isolation);
    await cluster.launch();
    return cluster;
  }

  /** HOST:PORT client endpoints of all members, in member order. */
  get endpoints(): string[] {
    return this.infos.map((m) => m.clientEndpoint);
  }

  /** Peer URL of member `index` (what MemberAdd takes and MemberList reports). */
  peerUrl(index: number): string {
    this.member(index);
    return url(this.infos[index]!.peerPort);
  }

  /** http://HOST:PORT/metrics of member `index` (needs the `metricsListener` option). */
  metricsUrl(index: number): string {
    this.member(index);
    const port = this.infos[index]!.metricsPort;
    if (port === undefined) throw new EtcdClusterError('metricsUrl: start the cluster with { metricsListener: true }');
    return `${url(port)}/metrics`;
  }

  /**
   * Starts stopped member `index` as a member added to the running cluster
   * (see EtcdMember.joinExistingCluster), and waits like restart(): for a
   * member whose data dir the caller emptied, after MemberRemove and MemberAdd
   * of its peer URL (etcd's way to replace a lost disk).
   */
  async restartJoiningExisting(index: number): Promise<void> {
    this.member(index).joinExistingCluster();
    await this.restart(index);
  }

  /** Waits (bounded) until every running, unpaused member answers and all agree on a live leader. */
  override async waitHealthy(): Promise<number> {
    return waitUntil(
      async () => {
        const live = this.liveIndexes();
        const statuses = await Promise.all(live.map((i) => this.statusClient.status(this.infos[i]!.clientEndpoint)));
        statuses.forEach((s, k) => this.learnId(s, live[k]!));
        const leader = this.agreedLeader(statuses, statuses.length);
        return leader === undefined ? undefined : leader;
      },
      this.waitOptions(`etcd cluster in ${this.dir} to be healthy`),
    );
  }

  /**
   * Index of the current leader: a live member that a majority of the cluster,
   * itself included, reports as leader. Waits (bounded) through an election.
   */
  override async leaderIndex(): Promise<number> {
    return waitUntil(
      async () => {
        const live = this.liveIndexes();
        const settled = await Promise.allSettled(
          live.map((i) => this.statusClient.status(this.infos[i]!.clientEndpoint)),
        );
        const statuses = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
        statuses.forEach((s) => this.learnId(s, this.indexOfEndpoint(s.endpoint)));
        return this.agreedLeader(statuses, Math.floor(this.size / 2) + 1);
      },
      { what: `an etcd leader in ${this.dir}`, timeoutMs: this.options.waitTimeoutMs, intervalMs: PROBE_INTERVAL_MS },
    );
  }

  protected override async followsLeader(index: number): Promise<boolean> {
    const s = await this.statusClient.status(this.infos[index]!.clientEndpoint);
    return s.leaderId !== '0' && this.indexById.has(s.leaderId);
  }

  protected override closeClients(): void {
    this.statusClient.close();
  }

  /** SIGSTOP member `index` (see the file comment: a pause, not a partition). */
  pause(index: number): void {
    this.member(index).pause();
  }

  resume(index: number): void {
    this.member(index).resume();
  }

  /** Running, unpaused and not isolated. */
  protected override isLive(index: number): boolean {
    return super.isLive(index) && !this.members[index]!.isPaused;
  }

  private indexOfEndpoint(endpoint: string): number {
    const index = this.infos.findIndex((m) => m.clientEndpoint === endpoint);
    if (index < 0) throw new EtcdClusterError(`status from unknown endpoint ${endpoint}`);
    return index;
  }

  private learnId(status: EtcdStatus, index: number): void {
    const known = this.indexById.get(status.memberId);
    if (known !== undefined && known !== index) {
      const names = `${this.infos[known]!.name} and ${this.infos[index]!.name}`;
      throw new EtcdClusterError(`member id ${status.memberId} reported by both ${names}`);
    }
    this.indexById.set(status.memberId, index);
  }

  /** The leader index when at least `votesMin` statuses name the same live leader, itself included. */
  private agreedLeader(statuses: readonly EtcdStatus[], votesMin: number): number | undefined {
    if (statuses.length < votesMin) return undefined;
    const counts = new Map<string, number>();
    for (const s of statuses) if (s.leaderId !== '0') counts.set(s.leaderId, (counts.get(s.leaderId) ?? 0) + 1);
    for (const [leaderId, votes] of counts) {
      const index = this.indexById.get(leaderId);
      const selfConfirmed = statuses.some((s) => s.memberId === leaderId && s.leaderId === leaderId);
      if (votes >= votesMin && index !== undefined && selfConfirmed && this.members[index]!.running) return index;
    }
    return undefined;
  }
}
