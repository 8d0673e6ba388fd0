/**
 * createRaft(): the RaftCore facade over the replica state machine. Validates
 * the configuration, restores from InitialState, and routes each API call to
 * the file that owns the concept.
 *
 * Restart: the log is InitialState.entries over the snapshot; membership is
 * the snapshot's ConfState (or bootstrapConfState) plus the conf changes in
 * the log up to appliedIndex; committed entries above appliedIndex are handed
 * out again (and conf changes among them applied at advance()). A replica
 * joining an existing cluster starts with an empty log and the cluster's
 * original bootstrapConfState (it is not a voter there, so it never
 * campaigns); the leader sends it the log or a snapshot.
 */
import type { ProposeResult, RaftConfig, RaftCore, RaftStatus, ProgressStatus } from './api.js';
import { replayConfChanges } from './conf-apply.js';
import { validateRaftConfig } from './config.js';
import { fail } from './errors.js';
import { leaderUnreachable } from './failover.js';
import { sendHeartbeat } from './leader.js';
import { NO_BYTES } from './message.js';
import { proposeConfChange, propose } from './proposals.js';
import { Raft } from './raft.js';
import { readIndex } from './reads.js';
import { advance, hasReady, takeReady } from './ready.js';
import { transferLeadership } from './transfer.js';
import {
  Role,
  type ConfChange,
  type InitialState,
  type LogIndex,
  type Message,
  type NodeId,
  type Ready,
  type Rng,
  type SnapshotMetadata,
  type Term,
} from './types.js';

export function createRaft(config: RaftConfig, initial: InitialState, rng: Rng): RaftCore {
  validateRaftConfig(config);
  return new RaftCoreImpl(new Raft(config, initial, rng));
}

class RaftCoreImpl implements RaftCore {
  constructor(private readonly r: Raft) {
    replayConfChanges(r);
  }

  tick(): void {
    this.r.tick();
  }

  step(message: Message): void {
    this.r.step(message);
  }

  propose(data: Uint8Array): ProposeResult {
    return propose(this.r, data);
  }

  proposeConfChange(change: ConfChange): ProposeResult {
    return proposeConfChange(this.r, change);
  }

  readIndex(context: Uint8Array): void {
    readIndex(this.r, context);
  }

  transferLeadership(transferee: NodeId): void {
    transferLeadership(this.r, transferee);
  }

  reportUnreachable(peer: NodeId): void {
    const r = this.r;
    if (r.role === Role.Leader) {
      const pr = r.tracker.get(peer);
      // Messages may have been lost with the connection: stop pipelining and probe.
      if (pr !== undefined && pr.state === 'replicate') pr.becomeProbe();
      return;
    }
    if (r.role !== Role.Follower || r.lead !== peer) return;
    // Lease reads rely on followers' stickiness lasting a full election timeout,
    // so in that mode we keep waiting for the timeout instead.
    if (r.cfg.readOnlyOption === 'leaseBased') return;
    // Forget the leader and elect a successor at once (pre-vote keeps this
    // harmless if the leader is alive for the others); see failover.ts.
    leaderUnreachable(r, peer);
  }

  peerReachable(peer: NodeId): void {
    const r = this.r;
    if (r.role !== Role.Leader || peer === r.id || r.tracker.get(peer) === undefined) return;
    sendHeartbeat(r, peer, NO_BYTES);
  }

  reportSnapshot(peer: NodeId, status: 'finished' | 'failed'): void {
    const r = this.r;
    if (r.role !== Role.Leader) return;
    const pr = r.tracker.get(peer);
    if (pr === undefined || pr.state !== 'snapshot') return;
    if (status === 'failed') pr.pendingSnapshot = 0;
    pr.becomeProbe();
    // Finished: wait for the follower's answer to the snapshot; failed: retry after a heartbeat answer.
    pr.flowPaused = true;
  }

  compact(index: LogIndex, retainEntries: number): SnapshotMetadata {
    const r = this.r;
    if (!(Number.isInteger(retainEntries) && retainEntries >= 0)) fail(`retainEntries ${retainEntries} must be a non-negative integer`);
    if (index > r.log.applied) fail(`compact(${index}) beyond applied index ${r.log.applied}`);
    if (r.log.snapshot !== null && index <= r.log.snapshot.index) return r.log.snapshot;
    const term = r.log.termAt(index);
    if (term < 0) fail(`compact(${index}): entry not in memory`);
    const meta: SnapshotMetadata = { index, term: term as Term, confState: r.confHistory.at(index) };
    const discardThrough = Math.max(index - retainEntries, r.log.firstIndex() - 1);
    r.log.compact(meta, discardThrough);
    r.confHistory.trimTo(index);
    return meta;
  }

  hasReady(): boolean {
    return hasReady(this.r);
  }

  ready(): Ready {
    return takeReady(this.r);
  }

  advance(): void {
    advance(this.r);
  }

  term(): Term {
    return this.r.term as Term;
  }

  status(): RaftStatus {
    const r = this.r;
    let progress: Map<NodeId, ProgressStatus> | null = null;
    if (r.role === Role.Leader) {
      progress = new Map();
      for (const [id, pr] of r.tracker.progress) {
        progress.set(id, {
          match: pr.match as LogIndex,
          next: pr.next as LogIndex,
          state: pr.state,
          inflightMsgs: pr.inflights.count,
          inflightBytes: pr.inflights.bytesInFlight,
          recentActive: pr.recentActive,
          isLearner: pr.isLearner,
        });
      }
    }
    return {
      id: r.id,
      role: r.role,
      leader: r.lead,
      hardState: r.hardState(),
      appliedIndex: r.log.applied as LogIndex,
      firstIndex: r.log.firstIndex() as LogIndex,
      lastIndex: r.log.lastIndex() as LogIndex,
      confState: r.tracker.conf,
      progress,
      leadTransferee: r.leadTransferee,
    };
  }
}
