/**
 * The Raft replica state machine: its state, the one function that changes
 * roles, time (ticks), elections, and the term rules every message passes
 * through before its role's handler sees it. Role-specific behaviour lives in
 * leader.ts, follower.ts, candidate.ts; the Ready cycle in ready.ts.
 *
 * Everything here is synchronous and deterministic: time is tick(), and the
 * only randomness is the injected Rng (election timeouts).
 */
import type { RaftConfig } from './api.js';
import { stepCandidate } from './candidate.js';
import { fail } from './errors.js';
import { deferToCandidate, FailoverState, rememberRefusedPreVote, tickFailover } from './failover.js';
import { stepFollower } from './follower.js';
import { bcastHeartbeat, becomeLeaderReset } from './leader.js';
import { ConfHistory } from './membership.js';
import { isTransferContext, newMessage, NO_BYTES, TRANSFER_CONTEXT } from './message.js';
import { RaftLog } from './raft-log.js';
import { ReadOnly } from './read-only.js';
import { stepLeader } from './leader-step.js';
import { abortTransfer } from './transfer.js';
import { ProgressTracker } from './tracker/progress-tracker.js';
import {
  EntryType,
  MessageType,
  Role,
  type Entry,
  type HardState,
  type InitialState,
  type Message,
  type NodeId,
  type ReadState,
  type Rng,
  type SoftState,
  type Term,
} from './types.js';

type StepFn = (r: Raft, m: Message) => void;

/** For each role, the roles it may be entered from. */
const ALLOWED_FROM: Record<Role, readonly Role[]> = {
  [Role.Follower]: [Role.Follower, Role.PreCandidate, Role.Candidate, Role.Leader],
  [Role.PreCandidate]: [Role.Follower, Role.PreCandidate, Role.Candidate],
  [Role.Candidate]: [Role.Follower, Role.PreCandidate, Role.Candidate],
  [Role.Leader]: [Role.Candidate],
};

const STEP_BY_ROLE: Record<Role, StepFn> = {
  [Role.Follower]: stepFollower,
  [Role.PreCandidate]: stepCandidate,
  [Role.Candidate]: stepCandidate,
  [Role.Leader]: stepLeader,
};

/** What a Ready handed out, remembered until advance(). */
export interface InFlightReady {
  readonly lastEntryIndex: number;
  readonly lastEntryTerm: number;
  readonly snapshotIndex: number;
  readonly snapshotTerm: number;
  readonly applyingTo: number;
  readonly committedEntries: readonly Entry[];
}

export class Raft {
  readonly id: NodeId;
  readonly log: RaftLog;
  readonly tracker: ProgressTracker;
  readonly confHistory: ConfHistory;
  readonly readOnly: ReadOnly;

  term = 0;
  vote: NodeId | null = null;
  lead: NodeId | null = null;
  role: Role = Role.Follower;

  electionElapsedTicks = 0;
  heartbeatElapsedTicks = 0;
  randomizedElectionTimeoutTicks = 0;
  /** Ticks since this replica started (monotonic; lease reads measure against it). */
  ticksTotal = 0;

  /** Leader: the node leadership is being handed to, or null. */
  leadTransferee: NodeId | null = null;
  /** Leader: index of the latest conf change it may have in its log (one at a time). */
  pendingConfIndex = 0;
  /** Leader: payload bytes appended in this term and not yet handed out as committed. */
  uncommittedBytes = 0;
  /** Leader: new entries or commit progress wait to be sent (batched at the next Ready). */
  appendFlushPending = false;
  /** Follower: proposals to forward to the leader at the next Ready (bounded by maxPendingProposals). */
  forwardBuffer: Entry[] = [];
  /** Follower: ReadIndex requests forwarded since the last Ready (bounded by maxPendingProposals). */
  forwardedReadCount = 0;
  /**
   * Follower: a TimeoutNow arrived while a committed conf change was not yet
   * applied; campaign (as a transfer) once advance() has applied it.
   */
  transferCampaignPending = false;
  /** Fast-failover shortcuts after the transport reports the leader unreachable (failover.ts). */
  readonly failover = new FailoverState();

  msgsBeforePersist: Message[] = [];
  msgsAfterPersist: Message[] = [];
  readStates: ReadState[] = [];

  /** The last hard/soft state handed out in a Ready (the durable one, for hard state). */
  prevHardState: HardState;
  prevSoftState: SoftState;
  inFlight: InFlightReady | null = null;

  private stepRole: StepFn = stepFollower;

  constructor(
    readonly cfg: RaftConfig,
    initial: InitialState,
    private readonly rng: Rng,
  ) {
    this.id = cfg.id;
    this.log = new RaftLog(initial);
    this.tracker = new ProgressTracker(cfg.id, cfg.maxInflightMsgs, cfg.maxInflightBytes);
    this.readOnly = new ReadOnly(cfg.maxPendingProposals);
    const base = initial.snapshot;
    this.confHistory = new ConfHistory(base?.index ?? 0, base?.confState ?? initial.bootstrapConfState);
    this.tracker.setConf(this.confHistory.current(), this.log.lastIndex());
    const hs = initial.hardState;
    this.term = hs.term;
    this.vote = hs.vote;
    this.prevHardState = hs;
    this.prevSoftState = { leader: null, role: Role.Follower };
    this.becomeFollower(hs.term, null);
  }

  // ---- roles -------------------------------------------------------------

  /** The one place a role changes; asserts the transition is allowed. */
  private transition(to: Role): void {
    if (!ALLOWED_FROM[to].includes(this.role)) fail(`role change ${this.role} -> ${to} is not allowed`);
    this.role = to;
    this.stepRole = STEP_BY_ROLE[to];
  }

  private reset(newTerm: number): void {
    if (newTerm < this.term) fail(`term must not decrease (${this.term} -> ${newTerm})`);
    if (newTerm !== this.term) {
      this.term = newTerm;
      this.vote = null;
      dropStaleAcks(this);
    }
    this.lead = null;
    this.electionElapsedTicks = 0;
    this.heartbeatElapsedTicks = 0;
    this.resetRandomizedElectionTimeout();
    abortTransfer(this);
    this.tracker.resetVotes();
    this.readOnly.reset();
    this.uncommittedBytes = 0;
    this.appendFlushPending = false;
    this.transferCampaignPending = false;
    this.failover.clear();
  }

  becomeFollower(newTerm: number, lead: NodeId | null): void {
    this.transition(Role.Follower);
    this.reset(newTerm);
    this.lead = lead;
  }

  private becomePreCandidate(): void {
    // Pre-vote changes neither term nor vote (§9.6): a failed pre-vote disturbs no one.
    this.transition(Role.PreCandidate);
    this.tracker.resetVotes();
    this.lead = null;
    this.electionElapsedTicks = 0;
    this.resetRandomizedElectionTimeout();
    // A new campaign: a caller that wants resends schedules them afterwards.
    this.failover.clear();
  }

  private becomeCandidate(): void {
    this.transition(Role.Candidate);
    this.reset(this.term + 1);
    this.vote = this.id;
  }

  private becomeLeader(): void {
    this.transition(Role.Leader);
    this.reset(this.term);
    this.lead = this.id;
    becomeLeaderReset(this);
  }

  private resetRandomizedElectionTimeout(): void {
    const base = this.cfg.electionTimeoutTicks;
    this.randomizedElectionTimeoutTicks = base + this.rng.nextInt(base);
  }

  /** Only voters campaign; learners and removed nodes never do. */
  promotable(): boolean {
    return this.tracker.isVoter(this.id);
  }

  // ---- time --------------------------------------------------------------

  tick(): void {
    this.ticksTotal++;
    if (this.role === Role.Leader) this.tickHeartbeat();
    else this.tickElection();
  }

  private tickElection(): void {
    this.electionElapsedTicks++;
    if (this.promotable() && this.electionElapsedTicks >= this.randomizedElectionTimeoutTicks) {
      this.electionElapsedTicks = 0;
      this.hup(false);
      return;
    }
    tickFailover(this);
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsedTicks++;
    this.electionElapsedTicks++;
    if (this.electionElapsedTicks >= this.cfg.electionTimeoutTicks) {
      this.electionElapsedTicks = 0;
      if (this.cfg.checkQuorum && !this.tracker.quorumActiveAndReset()) {
        this.becomeFollower(this.term, null);
        return;
      }
      // A transfer that did not finish within an election timeout is abandoned.
      if (this.leadTransferee !== null) abortTransfer(this);
    }
    if (this.heartbeatElapsedTicks >= this.cfg.heartbeatIntervalTicks) {
      this.heartbeatElapsedTicks = 0;
      const round = this.readOnly.currentRound();
      bcastHeartbeat(this, round === null ? NO_BYTES : round.context);
    }
  }

  // ---- elections ---------------------------------------------------------

  /** Start an election (pre-vote first unless `transfer`), if this replica may. */
  hup(transfer: boolean): void {
    if (this.role === Role.Leader || !this.promotable()) return;
    // A replica that has not applied a committed conf change may campaign under a stale configuration.
    if (this.log.committed > this.log.applied && this.log.someCommittedUnapplied(isConfChangeEntry)) {
      // A transfer is the leader's explicit wish (often its own removal): honour it once applied.
      if (transfer) this.transferCampaignPending = true;
      return;
    }
    if (this.cfg.preVote && !transfer) this.campaign(true, false);
    else this.campaign(false, transfer);
  }

  private campaign(pre: boolean, transfer: boolean): void {
    if (pre) this.becomePreCandidate();
    else this.becomeCandidate();
    if (this.tracker.recordVote(this.id, true) === 'won') {
      if (pre) this.campaign(false, false);
      else this.becomeLeader();
      return;
    }
    for (const id of this.tracker.conf.voters) if (id !== this.id) this.requestVote(id, pre, transfer);
  }

  /** Ask `to` for its vote in the current campaign (pre-vote: for the term after ours). */
  requestVote(to: NodeId, pre: boolean, transfer: boolean): void {
    if (!(pre ? this.role === Role.PreCandidate : this.role === Role.Candidate)) fail(`vote request as ${this.role}`);
    const m = newMessage(pre ? MessageType.PreVote : MessageType.Vote, this.id, to, (pre ? this.term + 1 : this.term) as Term);
    m.index = this.log.lastIndex() as Message['index'];
    m.logTerm = this.log.lastTerm() as Term;
    if (transfer) m.context = TRANSFER_CONTEXT;
    this.send(m);
  }

  /** A (pre-)vote answer arrived while campaigning. */
  onVoteAnswer(from: NodeId, granted: boolean): void {
    const result = this.tracker.recordVote(from, granted);
    if (result === 'won') {
      if (this.role === Role.PreCandidate) this.campaign(false, false);
      else this.becomeLeader();
    } else if (result === 'lost') {
      this.becomeFollower(this.term, null);
    }
  }

  // ---- messages ----------------------------------------------------------

  send(m: Message): void {
    // Answers that promise durability (appended entries, a vote) wait for persistence;
    // so do vote requests (the candidate's own vote must be durable first).
    if (m.type === MessageType.AppResp || m.type === MessageType.VoteResp || m.type === MessageType.Vote) {
      this.msgsAfterPersist.push(m);
    } else {
      this.msgsBeforePersist.push(m);
    }
  }

  step(m: Message): void {
    if (m.to !== this.id) fail(`message for ${m.to} delivered to ${this.id}`);
    if (m.term > this.term) {
      if (!this.onHigherTerm(m)) return;
    } else if (m.term < this.term) {
      this.onLowerTerm(m);
      return;
    }
    if (m.type === MessageType.PreVote || m.type === MessageType.Vote) {
      this.onVoteRequest(m);
      return;
    }
    this.stepRole(this, m);
  }

  /** Returns false when the message must be ignored. */
  private onHigherTerm(m: Message): boolean {
    if (m.type === MessageType.PreVote || m.type === MessageType.Vote) {
      // Leader stickiness: while we hear from a leader, a (pre-)vote from a
      // node that merely lost touch with it must not disturb the cluster. A
      // transfer campaign (TimeoutNow) is the leader's own wish and passes.
      const inLease = this.cfg.checkQuorum && this.lead !== null && this.electionElapsedTicks < this.cfg.electionTimeoutTicks;
      if (inLease && !isTransferContext(m.context)) {
        if (m.type === MessageType.PreVote) rememberRefusedPreVote(this, m);
        return false;
      }
    }
    // A pre-vote request, or a granted pre-vote, is about a future term: our term stays.
    if (m.type === MessageType.PreVote) return true;
    if (m.type === MessageType.PreVoteResp && !m.reject) return true;
    const fromLeader = m.type === MessageType.App || m.type === MessageType.Heartbeat || m.type === MessageType.Snap;
    // Figure 2: a follower's election timer restarts only when it hears from the leader or
    // grants a vote. Merely learning a higher term from a candidate (whose vote we may well
    // refuse) must not postpone our own candidacy, or stale candidates with fast clocks can
    // keep an up-to-date majority from ever campaigning (found by the simulator, seed 1325).
    const keptElapsedTicks = m.type === MessageType.Vote && this.role === Role.Follower ? this.electionElapsedTicks : 0;
    this.becomeFollower(m.term, fromLeader ? m.from : null);
    this.electionElapsedTicks = keptElapsedTicks;
    return true;
  }

  private onLowerTerm(m: Message): void {
    if ((this.cfg.checkQuorum || this.cfg.preVote) && (m.type === MessageType.App || m.type === MessageType.Heartbeat)) {
      // A stale leader (e.g. after a partition) cannot learn our term from votes
      // that stickiness or pre-vote suppress; tell it directly so it steps down.
      this.send(newMessage(MessageType.AppResp, this.id, m.from, this.term as Term));
    } else if (m.type === MessageType.PreVote) {
      const resp = newMessage(MessageType.PreVoteResp, this.id, m.from, this.term as Term);
      resp.reject = true;
      this.send(resp);
    }
  }

  private onVoteRequest(m: Message): void {
    const canVote =
      this.vote === m.from ||
      (this.vote === null && this.lead === null) ||
      (m.type === MessageType.PreVote && m.term > this.term);
    const respType = m.type === MessageType.Vote ? MessageType.VoteResp : MessageType.PreVoteResp;
    if (canVote && this.log.isUpToDate(m.index, m.logTerm)) {
      // The answer carries the term it grants, so the candidate counts it for that campaign.
      this.send(newMessage(respType, this.id, m.from, m.term));
      if (m.type === MessageType.Vote) {
        this.electionElapsedTicks = 0;
        this.vote = m.from;
      }
      deferToCandidate(this, m);
    } else {
      const resp = newMessage(respType, this.id, m.from, this.term as Term);
      resp.reject = true;
      this.send(resp);
    }
  }

  // ---- derived state -----------------------------------------------------

  hardState(): HardState {
    return { term: this.term as Term, vote: this.vote, commit: this.log.committed as HardState['commit'] };
  }

  hardStateChanged(): boolean {
    const p = this.prevHardState;
    return p.term !== this.term || p.vote !== this.vote || p.commit !== this.log.committed;
  }

  softStateChanged(): boolean {
    return this.prevSoftState.leader !== this.lead || this.prevSoftState.role !== this.role;
  }

  /** The leader has committed an entry of its own term (needed before reads and conf changes). */
  committedInCurrentTerm(): boolean {
    return this.log.termAt(this.log.committed) === this.term;
  }
}

function isConfChangeEntry(e: Entry): boolean {
  return e.type === EntryType.ConfChange;
}

/**
 * Acknowledgements of appended entries wait in msgsAfterPersist until their
 * entries are durable. If a newer leader truncates those entries before the
 * batch is handed out, the acknowledgement would promise entries we no longer
 * hold, and the older leader could count it toward a commit (found by the
 * simulator, seed 433). A newer term is the only way our log can be truncated,
 * so on adopting one, acknowledgements of the older term are dropped: their
 * leader learns the new term from our next answer anyway.
 */
function dropStaleAcks(r: Raft): void {
  if (r.msgsAfterPersist.length === 0) return;
  r.msgsAfterPersist = r.msgsAfterPersist.filter((m) => !(m.type === MessageType.AppResp && !m.reject && m.term < r.term));
}
