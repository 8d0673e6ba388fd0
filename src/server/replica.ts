/**
 * One control-plane replica: WAL + state machine + Raft core + driver + peer
 * transport + API services on one gRPC server (one HOST:PORT for peers and
 * clients alike). Built by Replica.start(), ended by stop().
 */
import { randomBytes, randomInt } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { FORWARDED_HEADER, type CallContext } from '../api/call.js';
import type { ClusterApi } from '../api/cluster-service.js';
import type { CommandBody, ReadResult } from '../api/replica-api.js';
import { KvPipelines, type KvMethod, type KvMethods } from '../client/kv-calls.js';
import { PipelineConnection } from '../client/pipeline.js';
import { ClusterClient, type Member as ApiMember } from '../gen/edgernetes/api/v1/cluster.js';
import { KVClient } from '../gen/edgernetes/api/v1/kv.js';
import { PipelineClient } from '../gen/edgernetes/api/v1/pipeline.js';
import { ProposalDroppedError } from '../raft/core/errors.js';
import { ConfChangeType, Role } from '../raft/core/types.js';
import { ApiError } from '../api/status.js';
import { COMMAND_VERSION, StateMachine, type ApplyResult, type Member, type ReadView, type Watcher, type WatchOptions } from '../fsm/index.js';
import { createRaft, DEFAULT_RAFT_CONFIG, seededRng } from '../raft/core/index.js';
import { logIndex, nodeId, type ConfState, type NodeId } from '../raft/core/types.js';
import { RaftDriver } from '../raft/node/driver.js';
import type { RemovedFromClusterError } from '../raft/node/errors.js';
import { PeerTransport, serverOptions, type PeerRefusal } from '../raft/transport/index.js';
import { Wal } from '../raft/wal/index.js';
import { bootstrapLog, initialConfIndex, initialState, isFresh, memberContext } from './bootstrap.js';
import type { ServerConfig } from './config.js';
import { registerServices, REQUEST_TIMEOUT_MS_DEFAULT, type ServiceHandles } from './services.js';
import { frameChunks, namingSource, RestoringSnapshotSink } from './snapshot-io.js';
import { findRunningCluster, joinCluster, type JoinRecord } from './join.js';
import { proposeWhenNoChangePending } from './membership-change.js';
import { RemovalGate } from './removal-gate.js';
import { removeSelfAsLeader, type SelfRemovalDeps } from './self-removal.js';
import { applyTransportFaults, parseTransportFaults, TRANSPORT_FAULTS_ENV } from './transport-faults.js';

/** Entries per AppendEntries message; above the largest command (1 MiB value + envelope), under the transport's 16 MiB. */
const RAFT_MSG_ENTRIES_BYTES_MAX = 4 * 1024 * 1024;
/**
 * A leader's commit notices wait up to this long for the next append or
 * heartbeat to carry them (src/raft/node/commit-notices.ts): an idle follower
 * applies at most this late; under load no notice is sent on its own.
 */
const COMMIT_NOTICE_HOLD_MS = 5;
/**
 * A follower fdatasyncs its WAL on the calling thread while its recent syncs
 * averaged under this (sync-placement.ts): two thread hand-offs fewer per
 * append; on a slower disk the syncs go to the thread pool. A leader always
 * uses the pool.
 */
const WAL_INLINE_SYNC_MS_MAX = 2;
/** Waiting for a leader before forwarding: poll interval. */
const LEADER_POLL_MS = 20;
/** A graceful stop waits this long for client calls (none lives longer: the API caps deadlines at it). */
const SHUTDOWN_GRACE_MS = REQUEST_TIMEOUT_MS_DEFAULT;
/**
 * A removed replica's calls were already answered or failed as removed; what
 * is left (a forwarded call, an idle connection) is cut after this.
 */
const REMOVED_SHUTDOWN_GRACE_MS = 250;
/** How often the leader reconciles peers and looks for learners to promote. */
const PROMOTE_CHECK_MS = 500;
/** A learner is caught up when its match index is within this many entries of the leader's commit. */
const PROMOTE_LAG_ENTRIES_MAX = 64;

export class Replica implements ClusterApi {
  /** Clients of other replicas, per service constructor (generated ones share one `name`) and address. */
  private readonly clients = new Map<Function, Map<string, grpc.Client>>();
  /** Pipelines to the leaders KV requests were forwarded to (unary to a leader without the service). */
  private readonly leaderPipelines = new KvPipelines((address) => this.openLeaderPipeline(address));
  private membersCache: Member[] = [];
  /** Set once the services are registered (start). */
  private services: ServiceHandles | null = null;
  private reconcileTimer: NodeJS.Timeout | null = null;
  private stopping: Promise<void> | null = null;
  /** Closed once this replica learns it was removed from the cluster. */
  private readonly gate = new RemovalGate();
  private settleRemoved: (removal: RemovedFromClusterError) => void = () => undefined;
  /**
   * Resolves once this replica has learned it was removed from the cluster
   * and has stopped (WAL and state machine closed); never settles otherwise.
   * The process should then exit (src/server/exit-codes.ts).
   */
  readonly removed = new Promise<RemovedFromClusterError>((resolve) => (this.settleRemoved = resolve));

  private constructor(
    readonly config: ServerConfig,
    readonly logger: Logger,
    readonly wal: Wal,
    readonly stateMachine: StateMachine,
    readonly driver: RaftDriver<ApplyResult>,
    readonly transport: PeerTransport,
    readonly server: grpc.Server,
    private readonly port: number,
  ) {}

  get id(): string {
    return this.config.id;
  }

  /** True once this replica has learned it was removed from the cluster (it is then stopping). */
  get isRemoved(): boolean {
    return this.gate.closed;
  }

  /** The port actually bound (useful with port 0). */
  get boundPort(): number {
    return this.port;
  }

  static async start(config: ServerConfig, logger: Logger): Promise<Replica> {
    await mkdir(config.dataDir, { recursive: true });
    const { wal, state: recoveredState } = await Wal.open(join(config.dataDir, 'wal'), { inlineSyncMsMax: WAL_INLINE_SYNC_MS_MAX });
    let stateMachine: StateMachine | null = null;
    try {
      stateMachine = await StateMachine.open(join(config.dataDir, 'state'), { storeDelayMs: config.storeDelayMs });
      const sink = new RestoringSnapshotSink(stateMachine);
      // Incoming snapshots were staged here before they were restored while received.
      await rm(join(config.dataDir, 'snapshots-incoming'), { recursive: true, force: true });

      const joinPath = join(config.dataDir, 'join.json');
      let recovered = recoveredState;
      let bootstrapConf: ConfState;
      let joinedPeers: Member[] = [];
      // Entries before it may concern an earlier incarnation of this id (see src/raft/node/removal.ts).
      let incarnationIndex = 0;
      const rejoinThrough = isFresh(recovered) && config.join === null ? await findRunningCluster(config, logger) : null;
      if (isFresh(recovered) && (config.join !== null || rejoinThrough !== null)) {
        const record = await joinCluster(config, logger, { through: config.join ?? rejoinThrough!, rejoin: config.join === null });
        await writeFile(joinPath, JSON.stringify(record));
        bootstrapConf = record.confState;
        joinedPeers = record.members;
        incarnationIndex = record.joinIndex ?? 0;
      } else if (isFresh(recovered)) {
        recovered = await bootstrapLog(wal, config.peers);
        bootstrapConf = { voters: config.peers.map((p) => nodeId(p.id)), learners: [] };
      } else {
        const saved = await readJoinRecord(joinPath);
        bootstrapConf = saved?.confState ?? { voters: config.peers.map((p) => nodeId(p.id)), learners: [] };
        joinedPeers = saved?.members ?? [];
        incarnationIndex = saved?.joinIndex ?? 0;
      }

      const initial = initialState(recovered, bootstrapConf, stateMachine.appliedIndex, config.dataDir);
      const core = createRaft(
        {
          ...DEFAULT_RAFT_CONFIG,
          id: nodeId(config.id),
          // A kv value may be 1 MiB; its entry, with the command around it, must fit one message.
          maxMsgEntriesBytes: RAFT_MSG_ENTRIES_BYTES_MAX,
          electionTimeoutTicks: config.electionTimeoutMs / config.tickIntervalMs,
          heartbeatIntervalTicks: config.heartbeatIntervalMs / config.tickIntervalMs,
        },
        initial,
        seededRng(randomInt(0, 2 ** 31)),
      );

      // Known peers: the configured ones, those learned when joining, and the recorded members.
      const peers = new Map<NodeId, string>();
      for (const p of config.peers) if (p.id !== config.id) peers.set(nodeId(p.id), p.address);
      for (const m of joinedPeers) if (m.id !== config.id) peers.set(m.id, m.address);
      const members = await stateMachine.read((view) => view.listMembers());
      for (const m of members) if (m.id !== config.id) peers.set(m.id, m.address);

      let driverRef: RaftDriver<ApplyResult> | null = null;
      const transport = new PeerTransport({
        config: { selfId: nodeId(config.id), peers },
        handlers: {
          onMessages: (messages) => driverRef?.receive(messages),
          onSnapshot: async (message) => driverRef?.receiveSnapshot(message),
          onPeerUnreachable: (peer) => driverRef?.peerUnreachable(peer),
          onPeerReachable: (peer) => driverRef?.peerReachable(peer),
          onPeerRefused: (refusal) => (driverRef === null ? undefined : reportRefusal(driverRef, refusal)),
        },
        snapshotSink: sink,
        logger: logger.child({ component: 'transport' }),
        membership: (caller) => driverRef?.membershipStatement(caller) ?? null,
      });
      const faults = parseTransportFaults(process.env[TRANSPORT_FAULTS_ENV] ?? '');
      if (faults.length > 0) {
        applyTransportFaults(transport.faults, faults);
        logger.warn({ faults: process.env[TRANSPORT_FAULTS_ENV] }, 'transport fault injection is on (testing only)');
      }
      const sm = stateMachine;
      const driver = new RaftDriver<ApplyResult>({
        id: nodeId(config.id),
        core,
        log: wal,
        network: transport,
        stateMachine: sm,
        snapshots: {
          send: async (message) => {
            const source = await sm.createSnapshot();
            try {
              const sent = await transport.sendSnapshot(namingSource(message, source), frameChunks(source));
              return { ...sent, index: source.index };
            } finally {
              await source.close(); // released already if streamed to the end; not if the transfer never started
            }
          },
          installStaged: (message) => sink.install(message),
          syncStateMachine: () => sm.sync(),
        },
        logger: logger.child({ component: 'raft' }),
        tickIntervalMs: config.tickIntervalMs,
        electionTimeoutMs: config.electionTimeoutMs,
        snapshotEntries: config.snapshotEntries,
        snapshotRetainEntries: Math.min(5_000, config.snapshotEntries),
        proposalsMax: 65_536,
        readsMax: 65_536,
        applyQueueEntriesMax: 16_384,
        commitNoticeHoldMs: COMMIT_NOTICE_HOLD_MS,
        bootNonce: randomBytes(6).toString('hex'),
        membership: { incarnationIndex: logIndex(incarnationIndex), initialConfIndex: initialConfIndex(initial) },
      });
      driverRef = driver;
      // A follower's sync is on every write's path and has nothing to overlap: inline while fast.
      wal.allowInlineSync(!driver.isLeader());
      driver.onLeaderChange((info) => wal.allowInlineSync(info.leader !== config.id));

      const server = new grpc.Server({ ...serverOptions(transport.config), 'grpc.max_receive_message_length': 16 * 1024 * 1024 });
      transport.addToServer(server);
      const port = await new Promise<number>((resolve, reject) =>
        server.bindAsync(config.listen, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
      );
      const replica = new Replica(config, logger, wal, sm, driver, transport, server, port);
      replica.membersCache = members;
      replica.services = registerServices(server, replica);
      driver.onRemoved((removal) => replica.stopRemoved(removal));
      transport.start();
      driver.start();
      driver.onConfChangeApplied(() => void replica.reconcilePeers());
      replica.reconcileTimer = setInterval(() => {
        void replica.reconcilePeers();
        replica.promoteCaughtUpLearners();
      }, PROMOTE_CHECK_MS);
      logger.info({ listen: config.listen, port, applied: stateMachine.appliedIndex, voters: bootstrapConf.voters }, 'replica started');
      return replica;
    } catch (err) {
      await stateMachine?.close().catch(() => undefined);
      await wal.close().catch(() => undefined);
      throw err;
    }
  }

  term(): number {
    return this.driver.term();
  }

  isLeader(): boolean {
    return !this.gate.closed && this.driver.isLeader();
  }

  members(): readonly Member[] {
    return this.membersCache;
  }

  async write(command: CommandBody, context: CallContext): Promise<ApplyResult> {
    const data = this.stateMachine.encodeProposal({ v: COMMAND_VERSION, ...command });
    try {
      return await this.gate.guardWrite(() => this.driver.propose(data, context.deadlineMs));
    } catch (err) {
      this.stateMachine.forgetProposal(data); // if it commits after all (a timeout), apply decodes it
      throw err;
    }
  }

  async read<T>(stale: boolean, context: CallContext, read: (view: ReadView) => Promise<T>): Promise<ReadResult<T>> {
    return this.gate.guardRead(async () => {
      if (!stale) await this.driver.linearizableRead(context.deadlineMs);
      return this.stateMachine.read(async (view) => ({ value: await read(view), revision: view.revision }));
    });
  }

  watch(options: WatchOptions): Watcher {
    this.gate.check();
    if (this.stopping !== null) throw new ApiError(grpc.status.UNAVAILABLE, `${this.id} is stopping; watch through another replica`);
    return this.stateMachine.watch(options);
  }

  async forwardToLeader<C extends grpc.Client, Req, Res>(
    Ctor: new (address: string, credentials: grpc.ChannelCredentials, options?: object) => C,
    method: (client: C) => Function,
    request: Req,
    context: CallContext,
  ): Promise<Res> {
    const address = await this.forwardingTarget(context);
    return this.unaryTo(address, Ctor, method, request, context);
  }

  async forwardKv<M extends KvMethod>(method: M, request: KvMethods[M][0], context: CallContext): Promise<KvMethods[M][1]> {
    const address = await this.forwardingTarget(context);
    const unary = () => this.unaryTo<KVClient, KvMethods[M][0], KvMethods[M][1]>(address, KVClient, (c) => c[method], request, context);
    return this.leaderPipelines.call(address, method, request, context.callerDeadlineMs, unary);
  }

  /**
   * The leader's address for a call to forward (one hop at most), waiting for
   * a leader until the call's deadline. Checks the removal gate while it
   * waits; once sent, the leader's answer is the answer.
   */
  private async forwardingTarget(context: CallContext): Promise<string> {
    this.gate.check();
    if (context.forwardedBy !== null) {
      throw new ApiError(grpc.status.UNAVAILABLE, `${this.id} is not the leader (request forwarded by ${context.forwardedBy}); retry`);
    }
    return this.leaderAddress(context.deadlineMs);
  }

  /** One unary call to the replica at `address`, marked as forwarded by this replica, with the caller's deadline. */
  private unaryTo<C extends grpc.Client, Req, Res>(
    address: string,
    Ctor: new (address: string, credentials: grpc.ChannelCredentials, options?: object) => C,
    method: (client: C) => Function,
    request: Req,
    context: CallContext,
  ): Promise<Res> {
    const client = this.clientFor(Ctor, address);
    const metadata = new grpc.Metadata();
    metadata.set(FORWARDED_HEADER, this.id);
    return new Promise<Res>((resolve, reject) => {
      method(client).call(client, request, metadata, { deadline: new Date(context.callerDeadlineMs) }, (err: grpc.ServiceError | null, res: Res) =>
        err ? reject(err) : resolve(res),
      );
    });
  }

  /** The pipeline to the replica at `address`, opened with this replica's id as the forwarder. */
  private openLeaderPipeline(address: string): PipelineConnection {
    const metadata = new grpc.Metadata();
    metadata.set(FORWARDED_HEADER, this.id);
    return new PipelineConnection(this.clientFor(PipelineClient, address), address, undefined, metadata);
  }

  private async leaderAddress(deadlineMs: number): Promise<string> {
    for (;;) {
      this.gate.check();
      const leader = this.driver.leaderInfo().leader;
      if (leader !== null && leader !== this.id) {
        const address = this.addressOf(leader);
        if (address !== null) return address;
      }
      if (leader === this.id) throw new ApiError(grpc.status.UNAVAILABLE, `${this.id} became the leader while forwarding; retry`);
      if (Date.now() + LEADER_POLL_MS > deadlineMs) {
        throw new ApiError(grpc.status.UNAVAILABLE, `no leader known to ${this.id} within the deadline (no quorum?)`);
      }
      await new Promise((r) => setTimeout(r, LEADER_POLL_MS));
    }
  }

  addressOf(id: string): string | null {
    const member = this.membersCache.find((m) => m.id === id);
    if (member !== undefined) return member.address;
    return this.config.peers.find((p) => p.id === id)?.address ?? null;
  }

  clientFor<C extends grpc.Client>(Ctor: new (address: string, credentials: grpc.ChannelCredentials, options?: object) => C, address: string): C {
    let byAddress = this.clients.get(Ctor);
    if (byAddress === undefined) this.clients.set(Ctor, (byAddress = new Map()));
    let client = byAddress.get(address) as C | undefined;
    if (client === undefined) {
      client = new Ctor(address, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1, 'grpc.enable_channelz': 0 });
      byAddress.set(address, client);
    }
    return client;
  }

  // ---- ClusterApi

  selfMember(): ApiMember {
    const status = this.driver.status();
    const learner = status.confState.learners.includes(nodeId(this.id));
    return {
      id: this.id,
      address: this.config.advertise,
      role: learner ? 'Learner' : status.role,
      term: status.hardState.term,
      commitIndex: status.hardState.commit,
      appliedIndex: this.stateMachine.appliedIndex,
      learner,
    };
  }

  /**
   * The recorded members. This replica's own entry carries its live role and
   * indexes, its appliedIndex being the index the list was read at: a joining
   * replica records it as where its incarnation's configuration is known
   * (src/server/join.ts). Other entries carry no live values. A replica that
   * knows it was removed leaves itself out (it may never apply its removal).
   */
  async memberList(): Promise<ApiMember[]> {
    const { members, appliedIndex } = await this.stateMachine.read(async (view) => ({
      members: await view.listMembers(),
      appliedIndex: view.appliedIndex,
    }));
    this.membersCache = members;
    const recorded = members.length > 0 ? members : this.config.peers.map((p) => ({ id: nodeId(p.id), address: p.address, role: 'voter' as const }));
    return recorded
      .filter((m) => !(this.gate.closed && m.id === this.id))
      .map((m) => {
        const learner = m.role === 'learner';
        if (m.id === this.id) return { ...this.selfMember(), address: m.address, appliedIndex, learner };
        return { id: m.id, address: m.address, role: '', term: 0, commitIndex: 0, appliedIndex: 0, learner };
      });
  }

  /** Empty once removed: a removed replica has no leader (its health is NOT_SERVING). */
  leaderId(): string {
    if (this.gate.closed) return '';
    return this.driver.leaderInfo().leader ?? '';
  }

  askMember(_id: string, address: string, deadlineMs: number): Promise<ApiMember> {
    const client = this.clientFor(ClusterClient, address);
    return new Promise((resolve, reject) =>
      client.status({ localOnly: true }, new grpc.Metadata(), { deadline: new Date(deadlineMs) }, (err, res) => {
        const self = res?.members[0];
        if (err !== null || self === undefined) reject(err ?? new Error('empty status'));
        else resolve(self);
      }),
    );
  }

  addLearner(id: string, address: string, rejoin: boolean, context: CallContext): Promise<void> {
    return this.gate.guardWrite(() => this.addLearnerNow(id, address, rejoin, context));
  }

  private async addLearnerNow(id: string, address: string, rejoin: boolean, context: CallContext): Promise<void> {
    if (this.membersCache.some((m) => m.id === id)) {
      if (!rejoin) throw new ApiError(grpc.status.ALREADY_EXISTS, `member ${id} already exists`);
      if (id === this.id) throw new ApiError(grpc.status.FAILED_PRECONDITION, `member ${id} is the leader; it cannot rejoin`);
      this.logger.warn({ member: id }, 'member lost its data: removing it and adding it back as a learner');
      await proposeWhenNoChangePending(this.driver, { type: ConfChangeType.RemoveNode, nodeId: nodeId(id) }, context.deadlineMs);
      await this.reconcilePeers();
    }
    await this.transport.addPeer(nodeId(id), address);
    await proposeWhenNoChangePending(
      this.driver,
      { type: ConfChangeType.AddLearner, nodeId: nodeId(id), context: memberContext(address) },
      context.deadlineMs,
    );
    await this.reconcilePeers();
  }

  /**
   * Answers once the leader has applied the removal. The leader removing
   * itself hands leadership over first and has the new leader remove it
   * (src/server/self-removal.ts); it then stops like any removed replica.
   */
  removeMember(id: string, context: CallContext): Promise<void> {
    return this.gate.guardWrite(async () => {
      if (!this.membersCache.some((m) => m.id === id)) throw new ApiError(grpc.status.NOT_FOUND, `member ${id} does not exist`);
      if (id === this.id) {
        await removeSelfAsLeader(this.selfRemovalDeps(), context);
        return;
      }
      await proposeWhenNoChangePending(this.driver, { type: ConfChangeType.RemoveNode, nodeId: nodeId(id) }, context.deadlineMs);
      await this.reconcilePeers();
    });
  }

  private selfRemovalDeps(): SelfRemovalDeps {
    return {
      id: this.id,
      logger: this.logger,
      handOver: (context) => this.transferLeadershipNow('', context),
      addressOf: (member) => this.addressOf(member),
      clusterClient: (address) => this.clientFor(ClusterClient, address),
      removed: this.gate.whenClosed,
    };
  }

  transferLeadership(to: string, context: CallContext): Promise<string> {
    return this.gate.guardWrite(() => this.transferLeadershipNow(to, context));
  }

  private async transferLeadershipNow(to: string, context: CallContext): Promise<string> {
    const status = this.driver.status();
    let target = to;
    if (target === '') {
      let bestMatch = -1;
      for (const [id, pr] of status.progress ?? []) {
        if (id !== this.id && status.confState.voters.includes(id) && pr.match > bestMatch) {
          target = id;
          bestMatch = pr.match;
        }
      }
      if (target === '') throw new ApiError(grpc.status.FAILED_PRECONDITION, 'no other voter to transfer leadership to');
    } else if (!status.confState.voters.includes(nodeId(target))) {
      throw new ApiError(grpc.status.INVALID_ARGUMENT, `to: ${target} is not a voting member`);
    }
    if (target === this.id) return this.id;
    this.driver.transferLeadership(nodeId(target));
    while (Date.now() < context.deadlineMs) {
      const leader = this.driver.leaderInfo().leader;
      if (leader !== null && leader !== this.id) return leader;
      await new Promise((r) => setTimeout(r, LEADER_POLL_MS));
    }
    throw new ApiError(grpc.status.UNAVAILABLE, `leadership did not move to ${target} within the deadline`);
  }

  snapshotNow(): Promise<{ index: number; term: number }> {
    return this.gate.guardWrite(() => this.driver.snapshotNow());
  }

  /** Leader only: promote learners whose log has caught up (one change at a time; the core enforces it). */
  private promoteCaughtUpLearners(): void {
    if (this.stopping !== null || !this.driver.isLeader()) return;
    const status = this.driver.status();
    if (status.role !== Role.Leader || status.progress === null) return;
    for (const id of status.confState.learners) {
      const pr = status.progress.get(id);
      if (pr === undefined || status.hardState.commit - pr.match > PROMOTE_LAG_ENTRIES_MAX) continue;
      this.driver
        .proposeConfChange({ type: ConfChangeType.PromoteLearner, nodeId: id }, Date.now() + this.config.electionTimeoutMs)
        .then(() => this.logger.info({ member: id }, 'learner caught up: promoted to voter'))
        .catch((err: unknown) => {
          if (!(err instanceof ProposalDroppedError)) this.logger.warn({ member: id, err: (err as Error).message }, 'promoting a learner failed');
        });
      return;
    }
  }

  /** Keeps the transport's peers equal to the recorded membership. */
  private async reconcilePeers(): Promise<void> {
    if (this.stopping !== null) return;
    try {
      const members = await this.stateMachine.read((view) => view.listMembers());
      this.membersCache = members;
      const wanted = new Map(members.filter((m) => m.id !== this.id).map((m) => [m.id as NodeId, m.address]));
      if (members.length === 0) return; // nothing recorded yet (joining): keep the configured peers
      for (const [id, address] of wanted) await this.transport.addPeer(id, address);
      for (const id of Object.keys(this.transport.stats().peers)) {
        if (!wanted.has(id as NodeId)) await this.transport.removePeer(id as NodeId);
      }
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'reconciling peers failed');
    }
  }

  /**
   * This replica learned it was removed from the cluster (see
   * src/raft/node/removal.ts): says so once, in one error line, fails client
   * calls with FAILED_PRECONDITION from now on, stops, and settles `removed`.
   * The data dir is left as it is.
   */
  private stopRemoved(removal: RemovedFromClusterError): void {
    if (this.gate.closed) return;
    this.gate.close(removal);
    this.logger.error(
      { index: removal.index, by: removal.by, how: removal.how, hint: 'to add it back: wipe its data dir and start it with --join' },
      `removed from the cluster at configuration index ${removal.index} by ${removal.by}; stopping`,
    );
    this.stop(REMOVED_SHUTDOWN_GRACE_MS)
      .catch((err: unknown) => this.logger.error({ err: (err as Error).message }, 'stopping after removal failed'))
      .finally(() => this.settleRemoved(removal));
  }

  /**
   * Graceful: hand leadership over, finish in-flight work, flush, release the
   * data dir. Client calls still running after `shutdownGraceMs` are cut.
   */
  stop(shutdownGraceMs = SHUTDOWN_GRACE_MS): Promise<void> {
    this.stopping ??= (async () => {
      if (this.reconcileTimer !== null) clearInterval(this.reconcileTimer);
      await this.driver.stop();
      const shutdown = new Promise<void>((resolve) => this.server.tryShutdown(() => resolve()));
      // Watches and pipeline streams never finish on their own: end them so shutdown can complete
      // (watches ABORTED with the revision to resume from; pipelines after answering what they serve).
      this.stateMachine.cancelWatches();
      this.services?.pipelines.endAll();
      // Before waiting on the server: this also ends the peers' streams into it, which would hold it open.
      await this.transport.stop({ drainTimeoutMs: 500 });
      await withinGrace(shutdown, shutdownGraceMs, () => this.server.forceShutdown());
      this.leaderPipelines.close();
      for (const byAddress of this.clients.values()) for (const client of byAddress.values()) client.close();
      await this.wal.close();
      await this.stateMachine.close();
      this.logger.info({}, 'replica stopped');
    })();
    return this.stopping;
  }
}

/** A refusal proves something only with the refuser's statement about us (src/raft/transport/refusal.ts). */
function reportRefusal(driver: RaftDriver<ApplyResult>, refusal: PeerRefusal): void {
  const statement = refusal.statement;
  if (statement === null) return;
  driver.peerRefused({
    peer: refusal.peer,
    appliedIndex: logIndex(statement.appliedIndex),
    membership: statement.membership,
    removedAtIndex: logIndex(statement.removedAtIndex),
  });
}

/** Waits for `done` at most `graceMs`, then calls `onLate` (and waits no more). */
async function withinGrace(done: Promise<void>, graceMs: number, onLate: () => void): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), graceMs)));
  const outcome = await Promise.race([done.then(() => 'done' as const), late]);
  clearTimeout(timer);
  if (outcome === 'late') onLate();
}

async function readJoinRecord(path: string): Promise<JoinRecord | null> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as JoinRecord;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}
