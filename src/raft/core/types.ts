/**
 * Types shared by the pure Raft core, its storage (WAL) and its drivers
 * (production node, seeded simulator). This file is the contract between them.
 *
 * Nothing here does I/O. Numbers are branded so a term cannot be passed where a
 * log index is expected.
 */

/** A Raft term. Monotonic per replica; persisted in HardState. */
export type Term = number & { readonly __brand: 'Term' };
/** A position in the replicated log. Index 0 is the empty prefix; the first entry is 1. */
export type LogIndex = number & { readonly __brand: 'LogIndex' };
/** A stable replica identifier, such as "n1". Never reused for a different replica. */
export type NodeId = string & { readonly __brand: 'NodeId' };

export const term = (n: number): Term => n as Term;
export const logIndex = (n: number): LogIndex => n as LogIndex;
export const nodeId = (s: string): NodeId => s as NodeId;

export enum EntryType {
  /** Application command (data is opaque to Raft). Empty data = the leader's no-op. */
  Normal = 0,
  /** A membership change; data is encodeConfChange(ConfChange). */
  ConfChange = 1,
}

export interface Entry {
  readonly term: Term;
  readonly index: LogIndex;
  readonly type: EntryType;
  readonly data: Uint8Array;
}

/** What must be durable before any message that depends on it is sent. */
export interface HardState {
  readonly term: Term;
  /** The candidate voted for in `term`, or null. */
  readonly vote: NodeId | null;
  readonly commit: LogIndex;
}

/** Cluster membership. Voters count toward quorums; learners only replicate. */
export interface ConfState {
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
}

export enum ConfChangeType {
  AddVoter = 0,
  AddLearner = 1,
  RemoveNode = 2,
  /** Promote an existing learner to voter. */
  PromoteLearner = 3,
}

/** A single-server membership change. At most one is pending at a time. */
export interface ConfChange {
  readonly type: ConfChangeType;
  readonly nodeId: NodeId;
  /** Opaque application context (e.g. the new member's address). */
  readonly context?: Uint8Array;
}

export interface SnapshotMetadata {
  /** Last log index covered by the snapshot. */
  readonly index: LogIndex;
  /** Term of the entry at `index`. */
  readonly term: Term;
  /** Membership as of `index`. */
  readonly confState: ConfState;
}

/**
 * A snapshot as seen by the core. The core only ever needs the metadata; the
 * state-machine bytes are produced and consumed by the driver (streamed in
 * chunks by the transport), so `data` is opaque and may be empty in production.
 */
export interface Snapshot {
  readonly metadata: SnapshotMetadata;
  readonly data: Uint8Array;
}

export enum MessageType {
  /** AppendEntries (also used to probe). */
  App = 'App',
  AppResp = 'AppResp',
  /** Pre-vote request (§9.6): does not change the receiver's term or vote. */
  PreVote = 'PreVote',
  PreVoteResp = 'PreVoteResp',
  Vote = 'Vote',
  VoteResp = 'VoteResp',
  Heartbeat = 'Heartbeat',
  HeartbeatResp = 'HeartbeatResp',
  /** Install snapshot (metadata; the driver carries the data in chunks). */
  Snap = 'Snap',
  /** Leadership transfer: the receiver campaigns at once, bypassing pre-vote and leases. */
  TimeoutNow = 'TimeoutNow',
  /** Follower forwarding a client proposal to the leader. */
  Prop = 'Prop',
  /** Follower asking the leader for a read index; answered with ReadIndexResp. */
  ReadIndex = 'ReadIndex',
  ReadIndexResp = 'ReadIndexResp',
}

/**
 * One message between replicas. A flat record (like etcd's raftpb.Message) so
 * the transport can encode it without a per-type switch. Fields that a type
 * does not use are zero/empty.
 */
export interface Message {
  readonly type: MessageType;
  readonly from: NodeId;
  readonly to: NodeId;
  readonly term: Term;
  /** App: index of the entry preceding `entries`. AppResp: highest index matched (or rejected index). Vote/PreVote: candidate's last log index. ReadIndexResp: the read index. */
  readonly index: LogIndex;
  /** App: term of `index`. Vote/PreVote: candidate's last log term. */
  readonly logTerm: Term;
  readonly entries: readonly Entry[];
  /** App/Heartbeat: leader's commit index (heartbeat: min(match, commit)). */
  readonly commit: LogIndex;
  /** Responses: true when the request was refused. */
  readonly reject: boolean;
  /** AppResp reject: follower's hint for fast backtracking (conflict index). */
  readonly rejectHint: LogIndex;
  /** AppResp reject: term of the follower's entry at rejectHint (0 if none). */
  readonly rejectHintTerm: Term;
  /** Heartbeat/HeartbeatResp/ReadIndex/ReadIndexResp: read-request context, echoed back. */
  readonly context: Uint8Array;
  /** Snap only. */
  readonly snapshot: Snapshot | null;
}

/** A linearizable read that may be served once the local applied index reaches `index`. */
export interface ReadState {
  readonly index: LogIndex;
  readonly context: Uint8Array;
}

export enum Role {
  Follower = 'Follower',
  PreCandidate = 'PreCandidate',
  Candidate = 'Candidate',
  Leader = 'Leader',
}

export interface SoftState {
  readonly leader: NodeId | null;
  readonly role: Role;
}

/**
 * One batch of work handed out by the core. The driver MUST process it in
 * this order, then call advance():
 *
 *  1. `messagesBeforePersist` may be sent at once (leader AppendEntries and
 *     heartbeats: they depend only on state that is already durable, §10.2.1).
 *  2. Persist `snapshot` (if any), then `entries` (an entry at index i replaces
 *     any stored entry at i and everything after it), then `hardState` (if any);
 *     fdatasync when `mustSync`.
 *  3. Only then send `messagesAfterPersist` (votes, vote and append responses:
 *     they promise durability).
 *  4. Apply `committedEntries` in order (they may be applied asynchronously but
 *     strictly in index order), and install `snapshot` into the state machine
 *     before applying any later entry.
 *  5. advance(): tells the core the entries are durable (the leader counts
 *     itself toward the commit quorum only now) and the batch is taken.
 *
 * Serve each ReadState once the local applied index reaches its index.
 *
 * When the batch carries a new term (hardState.term changed),
 * `messagesBeforePersist` is empty: every message waits for the persist, since
 * nothing may be sent in a term the replica could forget in a crash.
 * A committed ConfChange entry takes effect when advance() acknowledges the
 * batch that handed it out.
 * A Snap message's metadata is the core's latest snapshot (from compact() or an
 * installed one) when the batch was built: the driver streams that snapshot.
 */
export interface Ready {
  readonly softState: SoftState | null;
  readonly hardState: HardState | null;
  readonly snapshot: Snapshot | null;
  readonly entries: readonly Entry[];
  readonly committedEntries: readonly Entry[];
  readonly messagesBeforePersist: readonly Message[];
  readonly messagesAfterPersist: readonly Message[];
  readonly readStates: readonly ReadState[];
  readonly mustSync: boolean;
}

/** Durable state a replica restarts from (WAL replay over the last snapshot). */
export interface InitialState {
  readonly hardState: HardState;
  /** Latest snapshot's metadata, or null when none was ever taken. */
  readonly snapshot: SnapshotMetadata | null;
  /** Every durable entry after the snapshot, contiguous, ascending. */
  readonly entries: readonly Entry[];
  /** Membership at index 0 for a brand-new cluster (ignored when a snapshot or conf entries exist). */
  readonly bootstrapConfState: ConfState;
  /** Index the state machine has already applied (entries at or below are not handed out again). */
  readonly appliedIndex: LogIndex;
}

/** Deterministic randomness injected into the core (seeded in the simulator). */
export interface Rng {
  /** Uniform integer in [0, bound). */
  nextInt(bound: number): number;
}
