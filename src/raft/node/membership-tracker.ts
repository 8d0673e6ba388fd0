/**
 * The driver's view of cluster membership, kept beside the core: the
 * configuration this replica has applied, the index it is known at, and the
 * removals it applied. Used two ways:
 *  - to decide that this replica itself was removed (rules in ./removal.ts);
 *  - to tell a caller we refuse what our configuration says about it.
 *
 * Fed once per Ready batch, after advance() (a committed ConfChange takes
 * effect then; a received snapshot's configuration is in place by then too).
 * Invariant: confState is config(confIndex) and confIndex <= appliedIndex.
 */
import { decodeConfChange } from '../core/confchange-codec.js';
import { assert } from '../core/errors.js';
import { ConfChangeType, EntryType, type ConfState, type Entry, type LogIndex, type NodeId, type SnapshotMetadata } from '../core/types.js';
import { membershipIn, RemovalRule, type MembershipKind, type OwnConfiguration, type RefusalEvidence, type RefusalVerdict, type RemovalEvidence } from './removal.js';

/** Removals remembered for reporting to refused callers; the oldest is forgotten beyond this. */
const REMOVALS_REMEMBERED_MAX = 256;

/** What this replica tells a caller it refuses (wire form in src/raft/transport/refusal.ts). */
export interface MembershipStatement {
  readonly appliedIndex: LogIndex;
  readonly membership: MembershipKind;
  readonly removedAtIndex: LogIndex;
}

export interface TrackerStart {
  readonly confState: ConfState;
  /** Index the starting configuration is known at (see initialConfIndex in src/server/bootstrap.ts). */
  readonly confIndex: LogIndex;
  readonly appliedIndex: LogIndex;
}

export class MembershipTracker {
  private confState: ConfState;
  private confIndex: LogIndex;
  private appliedIndex: LogIndex;
  /** Member id → index of the entry that removed it, for the removals this replica applied. */
  private readonly removals = new Map<NodeId, LogIndex>();

  constructor(
    readonly rule: RemovalRule,
    start: TrackerStart,
  ) {
    assert(start.confIndex <= start.appliedIndex, `configuration index ${start.confIndex} beyond applied ${start.appliedIndex}`);
    this.confState = start.confState;
    this.confIndex = start.confIndex;
    this.appliedIndex = start.appliedIndex;
  }

  own(): OwnConfiguration {
    return { confState: this.confState, confIndex: this.confIndex };
  }

  /** (A) on the configuration we started with: a replica restarted after applying its own removal. */
  removedAtStart(): RemovalEvidence | null {
    if (!this.rule.removedInOwnConfiguration(this.own())) return null;
    return { how: 'applied', index: this.confIndex, by: 'a configuration change applied before this start' };
  }

  /**
   * One batch was applied (its committed entries, or an installed snapshot).
   * `confState` reads the core's configuration, called only when the batch
   * could have changed it. `leader` is who sent the batch (for the report).
   */
  afterBatch(committed: readonly Entry[], snapshot: SnapshotMetadata | null, confState: () => ConfState, leader: NodeId | null): RemovalEvidence | null {
    let changedAt: LogIndex | null = snapshot?.index ?? null;
    let selfRemovedAt: LogIndex | null = null;
    if (snapshot !== null && snapshot.index > this.appliedIndex) this.appliedIndex = snapshot.index;
    for (const entry of committed) {
      if (entry.index > this.appliedIndex) this.appliedIndex = entry.index;
      if (entry.type !== EntryType.ConfChange) continue;
      changedAt = entry.index;
      const change = decodeConfChange(entry.data);
      if (change.type !== ConfChangeType.RemoveNode) continue;
      this.rememberRemoval(change.nodeId, entry.index);
      if (change.nodeId === this.rule.selfId) selfRemovedAt = entry.index;
    }
    if (changedAt === null) return null;
    this.confState = confState();
    // Configurations only move forward along the log (entries after a snapshot lie beyond it).
    this.confIndex = Math.max(this.confIndex, changedAt) as LogIndex;
    assert(this.confIndex <= this.appliedIndex, `configuration index ${this.confIndex} beyond applied ${this.appliedIndex}`);
    if (!this.rule.removedInOwnConfiguration(this.own())) return null;
    return { how: 'applied', index: selfRemovedAt ?? this.confIndex, by: leader === null ? 'the cluster' : `leader ${leader}` };
  }

  judgeRefusal(refusal: RefusalEvidence): RefusalVerdict {
    return this.rule.judgeRefusal(this.own(), refusal);
  }

  /**
   * What we tell `caller` when refusing it, or null when we cannot vouch for
   * our configuration: a joining replica replaying entries from before it was
   * added passes through configurations of other incarnations.
   */
  statementAbout(caller: NodeId): MembershipStatement | null {
    if (this.appliedIndex < this.rule.incarnationIndex) return null;
    return {
      appliedIndex: this.appliedIndex,
      membership: membershipIn(this.confState, caller),
      removedAtIndex: this.removals.get(caller) ?? (0 as LogIndex),
    };
  }

  private rememberRemoval(id: NodeId, index: LogIndex): void {
    this.removals.delete(id); // re-inserted last: Map order is insertion order, the oldest goes first
    this.removals.set(id, index);
    if (this.removals.size > REMOVALS_REMEMBERED_MAX) this.removals.delete(this.removals.keys().next().value!);
  }
}
