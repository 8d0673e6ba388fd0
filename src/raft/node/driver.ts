/**
 * The replica driver: the one loop that owns a RaftCore. It feeds the core
 * ticks, peer messages, proposals and read requests; takes one Ready batch at
 * a time; does that batch's I/O in the order types.ts documents; and advances.
 *
 * Group commit falls out of this shape: while one batch's fdatasync runs, new
 * proposals and messages are stepped into the core and all land in the next
 * batch, so under load one WAL write, one fsync and one AppendEntries per
 * follower carry many proposals.
 *
 * Applying committed entries runs on its own ordered chain so the next batch's
 * fsync overlaps the previous batch's LevelDB write; the chain is bounded
 * (the loop waits for it when too many entries are queued).
 *
 * It also watches for this replica's own removal from the cluster — a removal
 * it applies, or a refusal from an up-to-date peer (removal.ts) — and tells
 * its owner, which stops it; waiters then fail with the removal's message.
 */
import type { RaftCore, RaftStatus } from '../core/api.js';
import { assert, NotLeaderError } from '../core/errors.js';
import { EntryType, MessageType, type ConfChange, type Entry, type HardState, type LogIndex, type Message, type NodeId, type Ready, type Snapshot, type SnapshotMetadata, type Term } from '../core/types.js';
import { ProposalLostError, RequestTimeoutError, StoppedError } from './errors.js';
import { CommitNoticeHold } from './commit-notices.js';
import { MembershipTracker, type MembershipStatement } from './membership-tracker.js';
import type { ApplyTarget, DriverLogger, DurableLog, LeaderInfo, PeerNetwork } from './ports.js';
import { ReadBarrier } from './read-barrier.js';
import { RemovalWatch, type RemovedListener } from './removal-watch.js';
import { RemovalRule, type RefusalEvidence } from './removal.js';
import { Waiters } from './waiters.js';

/** What one finished snapshot transfer moved, and how long it took (installing included). */
export interface SnapshotSent {
  /** The log index the snapshot covers (at or past the one the core asked for). */
  readonly index: number;
  readonly bytes: number;
  readonly durationMs: number;
}

/** Snapshot I/O the driver delegates (it needs the state machine and the transport). */
export interface SnapshotPort {
  /**
   * Stream the current state-machine snapshot to the follower named in
   * `message`; resolves once the follower installed it. Rejects on failure.
   */
  send(message: Message): Promise<SnapshotSent>;
  /**
   * A Snap message arrived after the transport's sink received its data (and
   * built the state machine's new database from it): swap that in. Returns
   * false when nothing usable was received for this message.
   */
  installStaged(message: Message): Promise<boolean>;
  /** Make the state machine durable through its applied index (before the log is compacted). */
  syncStateMachine(): Promise<LogIndex>;
}

export interface DriverOptions<R> {
  readonly id: NodeId;
  readonly core: RaftCore;
  readonly log: DurableLog;
  readonly network: PeerNetwork;
  readonly stateMachine: ApplyTarget<R>;
  readonly snapshots: SnapshotPort;
  readonly logger: DriverLogger;
  readonly tickIntervalMs: number;
  readonly electionTimeoutMs: number;
  /** Compact the log after this many entries applied since the last snapshot. */
  readonly snapshotEntries: number;
  /** Entries kept in memory behind a snapshot for slow followers. */
  readonly snapshotRetainEntries: number;
  readonly proposalsMax: number;
  readonly readsMax: number;
  /** The loop stops taking batches while more entries than this wait to be applied. */
  readonly applyQueueEntriesMax: number;
  /** A leader's commit notices wait this long for a message that makes them redundant (commit-notices.ts); 0: none. */
  readonly commitNoticeHoldMs: number;
  /** Unique per process start: makes read contexts unique across restarts. */
  readonly bootNonce: string;
  /** Where this replica's membership is known from, for noticing its own removal (see removal.ts). */
  readonly membership: {
    /** Index from which this incarnation's configuration is known: 0 for founders, the join index for joiners. */
    readonly incarnationIndex: LogIndex;
    /** Index the core's starting configuration is known at (at most its applied index). */
    readonly initialConfIndex: LogIndex;
  };
}

type LeaderListener = (info: LeaderInfo) => void;

export class RaftDriver<R> {
  private readonly core: RaftCore;
  private readonly proposals: Waiters<number, R>;
  /** Term each waiting proposal was appended in: the applied entry must match it. */
  private readonly proposalTerms = new Map<number, Term>();
  private readonly reads: ReadBarrier;
  private readonly leaderListeners = new Set<LeaderListener>();
  private readonly snapshotsSending = new Set<NodeId>();
  private tickTimer: NodeJS.Timeout | null = null;
  private loopRunning = false;
  private loopScheduled = false;
  private applyTail: Promise<void> = Promise.resolve();
  private applyQueuedEntries = 0;
  private compacting = false;
  private lastSnapshotIndex: number;
  private state: 'new' | 'running' | 'stopping' | 'stopped' | 'failed' = 'new';
  private failure: Error | null = null;
  private leader: LeaderInfo = { leader: null, term: 0 as Term };
  /** Newest hard state handed out but not yet written (only its commit index changed). */
  private unwrittenHardState: HardState | null = null;
  /** Notices this replica's own removal from the cluster (see removal.ts). */
  private readonly removalWatch: RemovalWatch;
  private readonly commitNotices: CommitNoticeHold;

  constructor(private readonly options: DriverOptions<R>) {
    this.core = options.core;
    this.proposals = new Waiters(options.proposalsMax, 'proposals');
    this.reads = new ReadBarrier(`${options.id}-${options.bootNonce}`, options.readsMax, options.electionTimeoutMs);
    this.lastSnapshotIndex = options.log.snapshotIndex;
    const status = this.core.status();
    const tracker = new MembershipTracker(new RemovalRule(options.id, options.membership.incarnationIndex), {
      confState: status.confState,
      confIndex: options.membership.initialConfIndex,
      appliedIndex: status.appliedIndex,
    });
    this.removalWatch = new RemovalWatch(options.id, tracker, options.logger);
    this.commitNotices = new CommitNoticeHold(options.commitNoticeHoldMs, (messages) => this.sendMessages(messages));
  }

  start(): void {
    if (this.state !== 'new') throw new Error(`driver start(): already ${this.state}`);
    this.state = 'running';
    this.tickTimer = setInterval(() => this.onTick(), this.options.tickIntervalMs);
    this.removalWatch.checkStart();
    this.scheduleLoop();
  }

  get id(): NodeId {
    return this.options.id;
  }

  status(): RaftStatus {
    return this.core.status();
  }

  /** The current Raft term (cheaper than status()). */
  term(): Term {
    return this.core.term();
  }

  leaderInfo(): LeaderInfo {
    return this.leader;
  }

  isLeader(): boolean {
    return this.leader.leader === this.options.id;
  }

  onLeaderChange(listener: LeaderListener): () => void {
    this.leaderListeners.add(listener);
    return () => this.leaderListeners.delete(listener);
  }

  /** Messages from peers (transport callback); a Snap comes through receiveSnapshot instead. */
  receive(messages: readonly Message[]): void {
    if (this.state !== 'running') return;
    for (const m of messages) {
      assert(m.type !== MessageType.Snap, 'a Snap message arrives with its transfer (receiveSnapshot)');
      this.core.step(m);
    }
    this.scheduleLoop();
  }

  /** `peer` connected to us (a new stream from it): a leader sends it a heartbeat now. */
  peerReachable(peer: NodeId): void {
    if (this.state !== 'running') return;
    this.core.peerReachable(peer);
    this.scheduleLoop();
  }

  /** The transport lost its connection to `peer`. */
  peerUnreachable(peer: NodeId): void {
    if (this.state !== 'running') return;
    this.core.reportUnreachable(peer);
    this.scheduleLoop();
  }

  /**
   * A peer refused our stream because it does not count us as a peer, and
   * said what its configuration says about us (transport callback). Stops
   * this replica when that proves our removal (see removal.ts).
   */
  peerRefused(refusal: RefusalEvidence): void {
    if (this.state !== 'running') return;
    this.removalWatch.refused(refusal, Date.now());
  }

  /** What our configuration says about `caller`, for a refusal; null while it cannot be vouched for. */
  membershipStatement(caller: NodeId): MembershipStatement | null {
    return this.removalWatch.statementAbout(caller);
  }

  /**
   * Called once, asynchronously, when this replica learns it was removed
   * (see removal.ts). The driver keeps running; the owner stops it.
   */
  onRemoved(listener: RemovedListener): void {
    this.removalWatch.onRemoved(listener);
  }

  /**
   * Propose `data` on this replica, which must be the leader (the API layer
   * forwards to the leader otherwise). Resolves with the state machine's
   * result once applied here. Throws NotLeaderError, ProposalDroppedError.
   */
  propose(data: Uint8Array, deadlineMs: number): Promise<R> {
    this.checkRunning();
    if (!this.isLeader()) return Promise.reject(new NotLeaderError(this.leader.leader));
    const result = this.core.propose(data);
    if (result.kind !== 'appended') return Promise.reject(new NotLeaderError(result.leader));
    return this.waitApplied(result.term, result.index, deadlineMs, 'write');
  }

  /** Propose a membership change (leader only). Resolves once applied here. */
  proposeConfChange(change: ConfChange, deadlineMs: number): Promise<R> {
    this.checkRunning();
    if (!this.isLeader()) return Promise.reject(new NotLeaderError(this.leader.leader));
    const result = this.core.proposeConfChange(change);
    if (result.kind !== 'appended') return Promise.reject(new NotLeaderError(result.leader));
    return this.waitApplied(result.term, result.index, deadlineMs, `membership change of ${change.nodeId}`);
  }

  /** Resolves once this replica's state machine reflects every write acknowledged before the call. */
  linearizableRead(deadlineMs: number): Promise<void> {
    this.checkRunning();
    const done = this.reads.wait(deadlineMs);
    this.scheduleLoop();
    // The barrier expires reads on ticks; this timer answers exactly at the deadline.
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((_, reject) => {
      timer = setTimeout(
        () => reject(new RequestTimeoutError('linearizable read: deadline exceeded (no quorum or no leader)')),
        Math.max(0, deadlineMs - Date.now()),
      );
    });
    return Promise.race([done, late]).finally(() => clearTimeout(timer));
  }

  /** Start handing leadership to `transferee` (leader only); completion is seen through onLeaderChange. */
  transferLeadership(transferee: NodeId): void {
    this.checkRunning();
    this.core.transferLeadership(transferee);
    this.scheduleLoop();
  }

  /**
   * Graceful stop: a leader first hands leadership to the most caught-up voter
   * (bounded by one election timeout), then the loop drains and waiters fail.
   */
  async stop(): Promise<void> {
    if (this.state !== 'running') return;
    if (this.isLeader()) await this.handOverLeadership();
    this.state = 'stopping';
    if (this.tickTimer !== null) clearInterval(this.tickTimer);
    this.tickTimer = null;
    await this.waitLoopIdle();
    this.commitNotices.clear();
    await this.applyTail;
    const reason = this.removalWatch.removal?.message ?? 'replica is stopping';
    this.proposals.rejectAll(reason);
    this.proposalTerms.clear();
    this.reads.rejectAll(reason);
    this.state = 'stopped';
  }

  private async handOverLeadership(): Promise<void> {
    const status = this.core.status();
    let best: NodeId | null = null;
    let bestMatch = -1;
    for (const [id, pr] of status.progress ?? []) {
      if (id === this.options.id || pr.isLearner || !status.confState.voters.includes(id)) continue;
      if (pr.match > bestMatch) {
        best = id;
        bestMatch = pr.match;
      }
    }
    if (best === null) return;
    this.options.logger.info({ transferee: best }, 'stopping: handing leadership over');
    this.core.transferLeadership(best);
    this.scheduleLoop();
    const deadlineMs = Date.now() + this.options.electionTimeoutMs * 2;
    while (this.isLeader() && Date.now() < deadlineMs) await sleep(this.options.tickIntervalMs / 2);
  }

  private waitApplied(term: Term, index: LogIndex, deadlineMs: number, what: string): Promise<R> {
    const done = this.proposals.register(index, deadlineMs, what);
    this.proposalTerms.set(index, term);
    this.scheduleLoop();
    return done;
  }

  private checkRunning(): void {
    if (this.state === 'failed') throw new StoppedError(`replica failed: ${this.failure?.message}`);
    if (this.state !== 'running') throw new StoppedError(`replica is ${this.state}`);
  }

  private onTick(): void {
    this.core.tick();
    const nowMs = Date.now();
    if (this.proposals.expire(nowMs) > 0) this.pruneProposalTerms();
    this.reads.expire(nowMs);
    this.scheduleLoop();
  }

  private pruneProposalTerms(): void {
    for (const index of this.proposalTerms.keys()) if (!this.proposals.has(index)) this.proposalTerms.delete(index);
  }

  private scheduleLoop(): void {
    if (this.loopScheduled || this.loopRunning) {
      this.loopScheduled = true;
      return;
    }
    this.loopScheduled = true;
    setImmediate(() => void this.runLoop());
  }

  private async runLoop(): Promise<void> {
    if (this.loopRunning) return;
    this.loopRunning = true;
    try {
      do {
        this.loopScheduled = false;
        this.issueReads();
        while (this.core.hasReady() && (this.state === 'running' || this.state === 'stopping')) {
          const ready = this.core.ready();
          await this.handleReady(ready);
          this.core.advance();
          this.afterAdvance(ready);
          this.issueReads();
        }
      } while (this.loopScheduled && this.state !== 'failed');
    } catch (err) {
      this.fail(err as Error);
    } finally {
      this.loopRunning = false;
      this.loopScheduled = false;
    }
  }

  /** Configuration changes take effect at advance(): see whether one removed us. */
  private afterAdvance(ready: Ready): void {
    const confState = () => this.core.status().confState;
    this.removalWatch.afterBatch(ready.committedEntries, ready.snapshot?.metadata ?? null, confState, this.leader.leader);
  }

  private issueReads(): void {
    for (const context of this.reads.takeRequests(Date.now())) {
      try {
        this.core.readIndex(context);
      } catch {
        this.reads.requestFailed(context); // no leader yet: retried on a later turn until the read's deadline
      }
    }
  }

  /** One batch, in the order types.ts documents for Ready. */
  private async handleReady(ready: Ready): Promise<void> {
    if (ready.softState !== null) this.noteSoftState(ready.softState.leader, ready.hardState?.term ?? this.core.status().hardState.term);
    // A Ready that commits entries carries the leader's commit notices: they may be held (commit-notices.ts).
    this.sendMessages(this.commitNotices.route(ready.messagesBeforePersist, ready.committedEntries.length > 0));
    if (ready.snapshot !== null) await this.persistReceivedSnapshot(ready.snapshot);
    if (ready.hardState !== null) this.unwrittenHardState = ready.hardState;
    if (ready.entries.length > 0 || ready.mustSync) {
      // A change of term or vote (mustSync) must be durable before any message depending on it.
      await this.options.log.append(ready.entries, this.unwrittenHardState);
      this.unwrittenHardState = null;
    }
    // Otherwise only the commit index moved. It need not be durable (a restarted replica learns it
    // again from the leader, and the state machine keeps its own applied index), so it rides along
    // with the next append instead of costing an fsync of its own.
    this.sendMessages(this.commitNotices.route(ready.messagesAfterPersist, false));
    if (ready.committedEntries.length > 0) await this.enqueueApply(ready.committedEntries, !this.isLeader());
    const appliedIndex = this.options.stateMachine.appliedIndex;
    for (const rs of ready.readStates) this.reads.answered(rs.context, rs.index, appliedIndex);
  }

  private noteSoftState(leader: NodeId | null, term: Term): void {
    const changed = leader !== this.leader.leader;
    if (leader !== this.options.id) this.commitNotices.clear();
    this.leader = { leader, term };
    if (!changed) return;
    this.options.logger.info({ leader, term }, leader === null ? 'leader lost' : `leader is ${leader}`);
    for (const listener of this.leaderListeners) listener(this.leader);
  }

  private sendMessages(messages: readonly Message[]): void {
    if (messages.length === 0) return;
    let plain: Message[] | null = null;
    for (const m of messages) {
      if (m.type === MessageType.Snap) {
        plain ??= messages.filter((x) => x.type !== MessageType.Snap);
        this.startSnapshotSend(m);
      }
    }
    this.options.network.send(plain ?? messages);
  }

  private startSnapshotSend(message: Message): void {
    const to = message.to;
    if (this.snapshotsSending.has(to)) return; // one transfer per follower; the core asks again if this one fails
    this.snapshotsSending.add(to);
    this.options.snapshots
      .send(message)
      .then(
        (sent) => {
          const { index, bytes, durationMs } = sent;
          this.options.logger.info({ peer: to, index, bytes, durationMs }, 'sent a snapshot');
          this.core.reportSnapshot(to, 'finished');
        },
        (err: unknown) => {
          this.options.logger.warn({ peer: to, err: (err as Error).message }, 'snapshot transfer failed');
          this.core.reportSnapshot(to, 'failed');
        },
      )
      .finally(() => {
        this.snapshotsSending.delete(to);
        this.scheduleLoop();
      });
  }

  /**
   * A follower installs the leader's snapshot (transport callback, when the
   * transfer is received): data first (state machine), then the core. Resolves
   * once both happened, or the snapshot turned out not to be needed; the
   * transport answers the leader only then, so the leader's next probe finds
   * the new log instead of being refused (and sending everything again).
   */
  receiveSnapshot(message: Message): Promise<void> {
    const metadata = message.snapshot?.metadata;
    if (this.state !== 'running' || metadata === undefined) return Promise.resolve();
    if (metadata.index <= this.core.status().hardState.commit) return Promise.resolve(); // the core would ignore it too
    const done = this.applyTail.then(async () => {
      const installed = await this.options.snapshots.installStaged(message);
      if (!installed || this.state !== 'running') return;
      this.core.step(message);
      this.scheduleLoop();
    });
    this.applyTail = done;
    done.catch((err: unknown) => this.fail(err as Error));
    return done;
  }

  private async persistReceivedSnapshot(snapshot: Snapshot): Promise<void> {
    await this.applyTail; // the state machine restore precedes the core's acceptance
    if (snapshot.metadata.index > this.options.log.snapshotIndex) {
      await this.options.log.saveSnapshot({ metadata: snapshot.metadata, data: new Uint8Array(0) });
    }
    this.lastSnapshotIndex = snapshot.metadata.index;
    this.options.logger.info(
      { index: snapshot.metadata.index, term: snapshot.metadata.term, applied: this.options.stateMachine.appliedIndex },
      "installed the leader's snapshot",
    );
  }

  /**
   * Queues committed entries for applying. `afterIo`: wait one event-loop turn
   * first, so the messages this batch sent (a follower's append response, on
   * the leader's commit path) reach their sockets before the apply's CPU work
   * instead of interleaving with grpc-js's promise-chained write path.
   */
  private async enqueueApply(entries: readonly Entry[], afterIo: boolean): Promise<void> {
    this.applyQueuedEntries += entries.length;
    const previous = afterIo ? this.applyTail.then(nextTurn) : this.applyTail;
    this.applyTail = previous.then(() => this.applyCommitted(entries));
    this.applyTail.catch((err: unknown) => this.fail(err as Error));
    if (this.applyQueuedEntries > this.options.applyQueueEntriesMax) await this.applyTail;
  }

  /**
   * Answers an applied batch's proposals as soon as its results are final:
   * the entries are already durable in the log (a crash replays them), and the
   * state machine's reads flush its store first. A failed store fails the
   * driver.
   */
  private async applyCommitted(entries: readonly Entry[]): Promise<void> {
    const { results, stored } = await this.options.stateMachine.applyBatch(entries);
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i]!;
      const proposedTerm = this.proposalTerms.get(entry.index);
      if (proposedTerm === undefined) continue;
      this.proposalTerms.delete(entry.index);
      if (proposedTerm === entry.term) this.proposals.resolve(entry.index, results[i]!);
      else this.proposals.reject(entry.index, new ProposalLostError(`write at index ${entry.index} was replaced by a newer leader's entry; retry`));
    }
    this.reads.applied(this.options.stateMachine.appliedIndex);
    stored.catch((err: unknown) => this.fail(err as Error));
    this.applyQueuedEntries -= entries.length;
    if (entries.some((e) => e.type === EntryType.ConfChange)) for (const listener of this.confChangeListeners) listener();
    this.maybeCompact();
  }

  private readonly confChangeListeners = new Set<() => void>();

  /** Called after a batch holding membership changes was applied to the state machine (reads of it see them). */
  onConfChangeApplied(listener: () => void): void {
    this.confChangeListeners.add(listener);
  }

  private maybeCompact(): void {
    const applied = this.options.stateMachine.appliedIndex;
    if (this.compacting || applied - this.lastSnapshotIndex < this.options.snapshotEntries) return;
    this.compacting = true;
    void this.compact()
      .catch((err: unknown) => this.fail(err as Error))
      .finally(() => (this.compacting = false));
  }

  /** Log compaction: the state machine is made durable through index N, then the log forgets up to N. */
  private async compact(): Promise<SnapshotMetadata | null> {
    const index = await this.options.snapshots.syncStateMachine();
    if (this.state !== 'running' || index <= this.lastSnapshotIndex) return null;
    const metadata = this.core.compact(index, this.options.snapshotRetainEntries);
    await this.options.log.saveSnapshot({ metadata, data: new Uint8Array(0) });
    this.lastSnapshotIndex = index;
    this.options.logger.info({ index }, 'log compacted behind a state-machine snapshot');
    return metadata;
  }

  /** Take a snapshot now (operator request). Returns the index and term it covers. */
  async snapshotNow(): Promise<{ index: number; term: number }> {
    this.checkRunning();
    while (this.compacting) await sleep(this.options.tickIntervalMs);
    this.compacting = true;
    try {
      const metadata = await this.compact();
      if (metadata !== null) return { index: metadata.index, term: metadata.term };
      return { index: this.lastSnapshotIndex, term: 0 };
    } finally {
      this.compacting = false;
    }
  }

  private async waitLoopIdle(): Promise<void> {
    for (let i = 0; i < 1000 && (this.loopRunning || this.loopScheduled); i++) await sleep(5);
  }

  private fail(err: Error): void {
    if (this.state === 'failed') return;
    this.failure = err;
    this.state = 'failed';
    if (this.tickTimer !== null) clearInterval(this.tickTimer);
    this.commitNotices.clear();
    this.options.logger.error({ err: err.message, stack: err.stack }, 'replica driver failed; stopping');
    this.proposals.rejectAll(`replica failed: ${err.message}`);
    this.reads.rejectAll(`replica failed: ${err.message}`);
    for (const listener of this.failureListeners) listener(err);
  }

  private readonly failureListeners = new Set<(err: Error) => void>();

  /** Called once if the driver fails (a storage error or a bug): the process should exit. */
  onFailure(listener: (err: Error) => void): void {
    this.failureListeners.add(listener);
  }

}

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
