/**
 * The driver's watch for this replica's own removal from the cluster: feeds
 * the MembershipTracker (what we applied) and refusing peers' statements to
 * the rule in ./removal.ts, and, the first time it proves a removal, records
 * it as a RemovedFromClusterError and tells the listeners — on a later turn,
 * never from inside the driver loop that noticed it.
 *
 * Refusals that prove nothing are logged, at most once per peer per
 * REFUSAL_LOG_INTERVAL_MS: a lagging peer refuses at every reconnect.
 */
import type { ConfState, Entry, NodeId, SnapshotMetadata } from '../core/types.js';
import { RemovedFromClusterError } from './errors.js';
import type { MembershipStatement, MembershipTracker } from './membership-tracker.js';
import type { DriverLogger } from './ports.js';
import type { RefusalEvidence, RemovalEvidence } from './removal.js';

const REFUSAL_LOG_INTERVAL_MS = 5_000;

export type RemovedListener = (removal: RemovedFromClusterError) => void;

export class RemovalWatch {
  private removedError: RemovedFromClusterError | null = null;
  private readonly listeners = new Set<RemovedListener>();
  /** Peer → when an ignored refusal of it was last logged. At most one entry per peer that refused us. */
  private readonly refusalLoggedAtMs = new Map<NodeId, number>();

  constructor(
    private readonly selfId: NodeId,
    private readonly tracker: MembershipTracker,
    private readonly logger: DriverLogger,
  ) {}

  /** Set once this replica has learned it was removed. */
  get removal(): RemovedFromClusterError | null {
    return this.removedError;
  }

  onRemoved(listener: RemovedListener): void {
    this.listeners.add(listener);
  }

  /** At start: a replica restarted after applying its own removal. */
  checkStart(): void {
    const evidence = this.tracker.removedAtStart();
    if (evidence !== null) this.removed(evidence);
  }

  /** After advance() of a batch (see MembershipTracker.afterBatch). */
  afterBatch(committed: readonly Entry[], snapshot: SnapshotMetadata | null, confState: () => ConfState, leader: NodeId | null): void {
    const evidence = this.tracker.afterBatch(committed, snapshot, confState, leader);
    if (evidence !== null) this.removed(evidence);
  }

  /** A peer refused our stream, with its statement about us. */
  refused(refusal: RefusalEvidence, nowMs: number): void {
    if (this.removedError !== null) return;
    const verdict = this.tracker.judgeRefusal(refusal);
    if (verdict.removed) {
      this.removed(verdict.evidence);
      return;
    }
    const lastMs = this.refusalLoggedAtMs.get(refusal.peer);
    if (lastMs !== undefined && nowMs - lastMs < REFUSAL_LOG_INTERVAL_MS) return;
    this.refusalLoggedAtMs.set(refusal.peer, nowMs);
    const confIndex = this.tracker.rule.effectiveConfIndex(this.tracker.own());
    this.logger.info(
      { peer: refusal.peer, peerAppliedIndex: refusal.appliedIndex, membership: refusal.membership, confIndex, reason: verdict.reason },
      `peer ${refusal.peer} refused our stream; not a removal (${verdict.reason})`,
    );
  }

  statementAbout(caller: NodeId): MembershipStatement | null {
    return this.tracker.statementAbout(caller);
  }

  private removed(evidence: RemovalEvidence): void {
    if (this.removedError !== null) return;
    const removal = new RemovedFromClusterError(this.selfId, evidence.index, evidence.by, evidence.how);
    this.removedError = removal;
    setImmediate(() => {
      for (const listener of this.listeners) listener(removal);
    });
  }
}
