/**
 * One simulated replica: its core, disk and state machine, driven like the
 * production driver drives its core. This file holds the replica's life
 * (start from durable state, crash, pause, resume, decommission) and its
 * inputs (ticks, network frames, transport signals, disk completions,
 * clients, operator actions); what happens to each Ready is in
 * ready-pipeline.ts, clients' waiting operations in replica-clients.ts,
 * snapshot work in replica-snapshots.ts.
 *
 * A paused replica queues what arrives (bounded) and handles it, in order, on
 * resume. A crash throws away everything volatile; a restart rebuilds the
 * core's InitialState from the durable disk and the state machine from its
 * own durable state.
 */
import type { RaftConfig, RaftCore } from '../src/raft/core/api.js';
import { logIndex, MessageType, Role, type ConfChange, type ConfState, type InitialState, type Message, type NodeId } from '../src/raft/core/types.js';
import type { CoreModule } from './core-module.js';
import { isExpectedCoreError } from './core-module.js';
import { SimDisk } from './disk.js';
import type { DriverHost } from './driver-host.js';
import { simAssert, SimViolation } from './errors.js';
import { replicaId } from './ids.js';
import { KvStateMachine } from './kv.js';
import type { Frame } from './network.js';
import type { SimRandom } from './random.js';
import { ReadyPipeline } from './ready-pipeline.js';
import { ReplicaClients } from './replica-clients.js';
import { ReplicaSnapshots } from './replica-snapshots.js';
import { TraceKind } from './trace-format.js';
import type { ClientRequest } from './workload.js';

export interface DriverParams {
  readonly fsyncUnitsMin: number;
  readonly fsyncUnitsMax: number;
  /** Latency of a write that needs no fdatasync. */
  readonly writeUnitsMax: number;
  /** Chance that an apply batch is flushed at once (otherwise it may be lost, whole, in a crash). */
  readonly smFlushProbability: number;
  readonly unsyncedRecordsMax: number;
  /** Bound on events queued for a paused replica. */
  readonly pausedInboxMax: number;
  /** Bound on client operations waiting at one replica (writes, and reads, each). */
  readonly pendingOpsMax: number;
  readonly snapshotEveryEntries: number;
  readonly retainEntriesMax: number;
  readonly chunkBytes: number;
  readonly snapshotTransferTimeoutUnits: number;
  /** The apply chain runs up to this long after the batch that queued its work. */
  readonly applyUnitsMax: number;
  /** No new Ready is taken while more committed entries than this wait to be applied. */
  readonly applyQueueEntriesMax: number;
}

export type ReplicaState = 'up' | 'paused' | 'crashed' | 'stopped';

export type InboxItem =
  | { readonly kind: 'frame'; readonly from: number; readonly frame: Frame }
  | { readonly kind: 'unreachable'; readonly peer: number }
  | { readonly kind: 'io-done' }
  | { readonly kind: 'apply' }
  | { readonly kind: 'client'; readonly request: ClientRequest }
  | { readonly kind: 'snapshot-timeout'; readonly peer: NodeId; readonly transferId: number };

export class ReplicaDriver {
  readonly id: NodeId;
  state: ReplicaState = 'crashed';
  /** Changes at every crash and start: events addressed to an earlier incarnation are stale. */
  incarnation = 0;
  tickPeriodUnits: number;
  readonly disk: SimDisk;
  readonly sm: KvStateMachine;
  /** Role, leader and term as of the last Ready (maintained by the pipeline). */
  role: Role = Role.Follower;
  leader: NodeId | null = null;
  term = 0;
  readonly snapshots: ReplicaSnapshots;
  readonly clients: ReplicaClients;
  private readonly pipeline: ReadyPipeline;
  private core: RaftCore | null = null;
  private inbox: InboxItem[] = [];

  constructor(
    readonly replica: number,
    private readonly raftConfig: RaftConfig,
    private readonly bootstrapConf: ConfState,
    private readonly coreModule: CoreModule,
    private readonly host: DriverHost,
    private readonly random: SimRandom,
    private readonly params: DriverParams,
    tickPeriodUnits: number,
  ) {
    this.id = replicaId(replica);
    this.tickPeriodUnits = tickPeriodUnits;
    this.disk = new SimDisk(params.unsyncedRecordsMax);
    this.sm = new KvStateMachine(bootstrapConf);
    this.snapshots = new ReplicaSnapshots(this, host, params);
    this.clients = new ReplicaClients(this, host, params.pendingOpsMax);
    this.pipeline = new ReadyPipeline(this, host, random, params);
  }

  get isRunning(): boolean {
    return this.state === 'up' || this.state === 'paused';
  }

  /** The core; null unless running. */
  get raft(): RaftCore | null {
    return this.core;
  }

  // ---- lifecycle -----------------------------------------------------------

  /** Starts (or restarts) from the durable disk and the state machine's durable state. */
  start(): void {
    simAssert(this.state === 'crashed', `start n${this.replica} from ${this.state}`);
    const initial = this.initialState();
    this.incarnation++;
    this.state = 'up';
    this.role = Role.Follower;
    this.leader = null;
    this.term = initial.hardState.term;
    this.pipeline.reset();
    try {
      this.core = this.coreModule.createRaft(this.raftConfig, initial, this.random.forkRng());
    } catch (error) {
      this.coreFailed('createRaft', error);
    }
    const d = this.disk.durable;
    this.trace(TraceKind.Restart, 0, initial.hardState.term, initial.hardState.commit, d.log.lastIndex, initial.appliedIndex, d.snapshotIndex);
    this.pipeline.pump();
  }

  /**
   * The restart rule the production driver follows too: the state machine is
   * restored from the durable snapshot if it is behind it; the commit index
   * is at least the applied index (applied entries are committed, but a
   * commit-only hard state is not fsynced and may be lost).
   */
  private initialState(): InitialState {
    const durable = this.disk.durable;
    const snapshot = durable.snapshot;
    if (snapshot !== null && this.sm.appliedIndex < snapshot.metadata.index) this.sm.install(snapshot.data);
    const applied = this.sm.appliedIndex;
    if (applied > durable.log.lastIndex) {
      throw new SimViolation(
        'durability',
        `n${this.replica} restarts with its state machine at ${applied} but its durable log ends at ${durable.log.lastIndex}: entries were applied before they were durable`,
      );
    }
    const commit = Math.max(durable.hardState.commit, applied);
    return {
      hardState: { ...durable.hardState, commit: logIndex(commit) },
      snapshot: snapshot === null ? null : snapshot.metadata,
      entries: durable.log.entriesAfter(durable.snapshotIndex),
      bootstrapConfState: this.bootstrapConf,
      appliedIndex: logIndex(applied),
    };
  }

  crash(): void {
    simAssert(this.isRunning, `crash n${this.replica} from ${this.state}`);
    const outcome = this.disk.crash(this.random);
    this.sm.crash();
    this.goDown('crashed');
    this.trace(TraceKind.Crash, 0, outcome.unsyncedRecords, outcome.survivedRecords, outcome.tornTail ? 1 : 0);
  }

  /** Stops for good (a removed member); its disk is never read again. */
  decommission(): void {
    if (this.isRunning) this.goDown('stopped');
    this.state = 'stopped';
    this.trace(TraceKind.Decommission);
  }

  private goDown(state: ReplicaState): void {
    this.state = state;
    this.incarnation++;
    this.core = null;
    this.pipeline.reset();
    this.inbox = [];
    this.snapshots.clear();
    this.clients.clear(`n${this.replica} ${state}`);
  }

  pause(): void {
    simAssert(this.state === 'up', `pause n${this.replica} from ${this.state}`);
    this.state = 'paused';
    this.trace(TraceKind.Pause);
  }

  resume(): void {
    simAssert(this.state === 'paused', `resume n${this.replica} from ${this.state}`);
    this.state = 'up';
    const queued = this.inbox;
    this.inbox = [];
    this.trace(TraceKind.Resume, 0, queued.length);
    for (const item of queued) {
      if (this.state !== 'up') return;
      this.handle(item);
    }
  }

  // ---- inputs --------------------------------------------------------------

  tick(): void {
    if (this.state !== 'up') return;
    try {
      this.core!.tick();
    } catch (error) {
      this.coreFailed('tick', error);
    }
    this.pipeline.pump();
  }

  /** Everything that arrives from outside (network, transport signals, disk, clients). */
  deliver(item: InboxItem): void {
    if (this.state === 'paused') {
      // Disk completions and transfer timers are few and must not be lost; the rest is bounded.
      const exempt = item.kind === 'io-done' || item.kind === 'apply' || item.kind === 'snapshot-timeout';
      if (exempt || this.inbox.length < this.params.pausedInboxMax) this.inbox.push(item);
      else if (item.kind === 'client') this.clients.fail(item.request, 'paused replica overloaded');
      return;
    }
    if (this.state !== 'up') {
      if (item.kind === 'client') this.clients.fail(item.request, `n${this.replica} ${this.state}`);
      return;
    }
    this.handle(item);
  }

  private handle(item: InboxItem): void {
    switch (item.kind) {
      case 'frame':
        this.receiveFrame(item.from, item.frame);
        break;
      case 'unreachable':
        this.connectionBroke(item.peer);
        break;
      case 'io-done':
        this.pipeline.completeIo();
        break;
      case 'apply':
        this.pipeline.applyQueued();
        break;
      case 'client':
        if (item.request.f === 'read') this.clients.read(this.core!, item.request);
        else this.clients.propose(this.core!, item.request);
        break;
      case 'snapshot-timeout':
        this.snapshots.transferTimedOut(item.peer, item.transferId);
        break;
    }
    this.pipeline.pump();
  }

  private receiveFrame(from: number, frame: Frame): void {
    switch (frame.kind) {
      case 'raft':
        this.stepMessage(frame.message);
        return;
      case 'snap-chunk': {
        const assembled = this.snapshots.chunkArrived(from, frame.chunk);
        if (assembled !== null) this.stepMessage(assembled);
        return;
      }
      case 'snap-ack':
        this.snapshots.ackArrived(from, frame.ack.transferId);
        return;
    }
  }

  private stepMessage(message: Message): void {
    if (message.type === MessageType.VoteResp && !message.reject) this.host.safety.elections.onVoteGranted(this.replica, message.from, message.term);
    try {
      this.core!.step(message);
    } catch (error) {
      // A forwarded proposal the leader refuses is simply lost; the client times out.
      if (!isExpectedCoreError(error)) this.coreFailed(`step(${message.type} from ${message.from})`, error);
    }
  }

  private connectionBroke(peer: number): void {
    this.trace(TraceKind.Unreachable, peer);
    const peerId = replicaId(peer);
    try {
      this.core!.reportUnreachable(peerId);
    } catch (error) {
      this.coreFailed(`reportUnreachable(${peerId})`, error);
    }
    this.snapshots.connectionBroke(peerId);
  }

  // ---- operator actions and probes -----------------------------------------

  /** Proposes a liveness probe; false if not up or the core refused it. */
  proposeProbe(probeSeq: number): boolean {
    if (this.state !== 'up') return false;
    const accepted = this.clients.proposeProbe(this.core!, probeSeq);
    this.pipeline.pump();
    return accepted;
  }

  /** Asks for a read index for `request` (a liveness probe read). */
  readIndex(request: ClientRequest): void {
    if (this.state !== 'up') return this.clients.fail(request, this.state);
    this.clients.read(this.core!, request);
    this.pipeline.pump();
  }

  /** Returns the refusal's message when the core refused (an expected error), null when accepted. */
  proposeConfChange(change: ConfChange): string | null {
    if (this.state !== 'up') return 'not running';
    try {
      this.core!.proposeConfChange(change);
    } catch (error) {
      if (isExpectedCoreError(error)) return error.message;
      this.coreFailed('proposeConfChange', error);
    }
    this.pipeline.pump();
    return null;
  }

  transferLeadership(transferee: NodeId): void {
    if (this.state !== 'up') return;
    try {
      this.core!.transferLeadership(transferee);
    } catch (error) {
      if (!isExpectedCoreError(error)) this.coreFailed('transferLeadership', error);
    }
    this.pipeline.pump();
  }

  /** Takes a state-machine snapshot now and compacts the log (an operator's request; no-op unless up). */
  takeSnapshot(): void {
    if (this.state !== 'up') return;
    this.snapshots.takeLocal(this.random.between(0, this.params.retainEntriesMax));
    this.pipeline.pump();
  }

  // ---- helpers ---------------------------------------------------------------

  /** The core threw: an expected refusal is the caller's business; anything else is a core bug. */
  coreFailed(what: string, error: unknown): never {
    if (error instanceof SimViolation) throw error;
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    throw new SimViolation('core-error', `n${this.replica} ${what} threw ${message}`, { cause: error });
  }

  trace(kind: TraceKind, peer = 0, a = 0, b = 0, c = 0, d = 0, e = 0): void {
    this.host.trace.record(this.host.nowUnits(), kind, this.replica, peer, a, b, c, d, e);
  }
}
