/**
 * The public surface of the pure Raft core. Implemented in this folder and
 * exported from ./index.ts as `createRaft(config, initialState, rng)`.
 *
 * The core is synchronous and deterministic: no I/O, timers, clock or
 * Math.random. Time advances only through tick(); randomness only through the
 * injected Rng. The same code runs in production and in the seeded simulator.
 */
import type {
  ConfChange,
  ConfState,
  HardState,
  LogIndex,
  NodeId,
  Message,
  Ready,
  Role,
  SnapshotMetadata,
  Term,
} from './types.js';

export type ReadOnlyOption =
  /** ReadIndex: the leader confirms it is still leader with a heartbeat round. */
  | 'safe'
  /**
   * Lease-based: the leader serves reads without a round trip while its lease
   * holds. Assumes clocks on replicas advance at the same rate within a bounded
   * drift (ticks measure the same wall time everywhere). Explicit opt-in; needs checkQuorum.
   */
  | 'leaseBased';

export interface RaftConfig {
  readonly id: NodeId;
  /** Base election timeout; the actual timeout is randomized in [base, 2*base). */
  readonly electionTimeoutTicks: number;
  /** A leader sends heartbeats every this many ticks. Must be < electionTimeoutTicks. */
  readonly heartbeatIntervalTicks: number;
  /** Pre-vote (§9.6). Default true. */
  readonly preVote: boolean;
  /** A leader that hears from no quorum for an election timeout steps down. Default true. */
  readonly checkQuorum: boolean;
  readonly readOnlyOption: ReadOnlyOption;
  /** Max AppendEntries messages in flight to one follower (pipelining depth). */
  readonly maxInflightMsgs: number;
  /** Max bytes of entries in flight to one follower (0 = no byte limit). */
  readonly maxInflightBytes: number;
  /** Max bytes of entries in one AppendEntries message (at least one entry is always sent). */
  readonly maxMsgEntriesBytes: number;
  /** Max bytes of proposed-but-uncommitted entries on a leader; beyond it proposals are dropped. */
  readonly maxUncommittedEntriesBytes: number;
  /** Max proposals accepted but not yet handed out in a Ready (the core's proposal queue). */
  readonly maxPendingProposals: number;
  /** Max bytes of committed entries handed out in one Ready (at least one entry). */
  readonly maxCommittedEntriesBytesPerReady: number;
}

export interface ProgressStatus {
  readonly match: LogIndex;
  readonly next: LogIndex;
  readonly state: 'probe' | 'replicate' | 'snapshot';
  readonly inflightMsgs: number;
  readonly inflightBytes: number;
  readonly recentActive: boolean;
  readonly isLearner: boolean;
}

export interface RaftStatus {
  readonly id: NodeId;
  readonly role: Role;
  readonly leader: NodeId | null;
  readonly hardState: HardState;
  readonly appliedIndex: LogIndex;
  readonly firstIndex: LogIndex;
  readonly lastIndex: LogIndex;
  readonly confState: ConfState;
  /** Present on the leader only. */
  readonly progress: ReadonlyMap<NodeId, ProgressStatus> | null;
  readonly leadTransferee: NodeId | null;
}

/** Where a proposal went. */
export type ProposeResult =
  | { readonly kind: 'appended'; readonly term: Term; readonly index: LogIndex }
  | { readonly kind: 'forwarded'; readonly leader: NodeId };

export interface RaftCore {
  /** Advance logical time by one tick. */
  tick(): void;
  /** Feed one message received from a peer. Stale or irrelevant messages are ignored. */
  step(message: Message): void;
  /**
   * Propose an application command. Throws ProposalDroppedError (no leader,
   * transfer in progress, queue or uncommitted-bytes bound reached).
   */
  propose(data: Uint8Array): ProposeResult;
  /**
   * Propose a single-server membership change. Throws ProposalDroppedError
   * ('conf-change-pending' while a previous change is not applied or this
   * leader has not committed an entry of its term yet) or InvalidConfChangeError
   * (the change does not fit the configuration, e.g. adding an existing member).
   * The change takes effect on each replica at the advance() that follows the
   * Ready handing out its committed entry.
   */
  proposeConfChange(change: ConfChange): ProposeResult;
  /** Ask for a linearizable read point; answered by a ReadState carrying `context`. */
  readIndex(context: Uint8Array): void;
  /** Hand leadership to `transferee` (leader only). */
  transferLeadership(transferee: NodeId): void;
  /**
   * The transport lost its connection to `peer`. On a leader this moves the
   * peer to probing. On a follower whose leader is `peer` (except in
   * 'leaseBased' read mode) it forgets the leader and helps elect a successor
   * at once: it grants a pre-vote it had refused by stickiness, or else
   * campaigns with pre-vote in turn by id (failover.ts). Pre-vote keeps this
   * harmless if the leader is alive for the others.
   */
  reportUnreachable(peer: NodeId): void;
  /**
   * The transport saw `peer` connect to us (a new stream from it). A leader
   * sends it a heartbeat at once instead of at the next heartbeat tick, so a
   * restarted follower learns its leader, and the leader where the follower's
   * log stands, as soon as it is back. Otherwise nothing happens.
   */
  peerReachable(peer: NodeId): void;
  /** Outcome of streaming a snapshot to `peer`. */
  reportSnapshot(peer: NodeId, status: 'finished' | 'failed'): void;
  /**
   * The state machine has a snapshot at `index` (<= applied). Records its
   * metadata (sent to followers behind the log) and discards log entries at or
   * below `index - retainEntries` from memory. Returns the snapshot's metadata
   * (term at `index`, membership as of `index`), for the driver to persist with
   * the snapshot. An `index` at or below the latest snapshot changes nothing
   * and returns the latest snapshot's metadata.
   */
  compact(index: LogIndex, retainEntries: number): SnapshotMetadata;
  hasReady(): boolean;
  /** The next batch. Must not be called again before advance(). */
  ready(): Ready;
  /** The batch from the last ready() has been processed (see Ready). */
  advance(): void;
  status(): RaftStatus;
  /** The current term: what status().hardState.term says, without building a status (read on every API response). */
  term(): Term;
}
