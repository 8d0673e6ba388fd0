/**
 * Deciding, from local knowledge only, that this replica has been removed from
 * the cluster. Pure: no I/O, no clock; the driver feeds it what it applied and
 * what refusing peers said.
 *
 * Configurations form one sequence along the committed log: config(i) is the
 * membership in effect once every entry up to index i is applied, the same on
 * every replica. A replica's own configuration is config(c) for its
 * `confIndex` c (any index from the entry that produced it up to its applied
 * index). Two ways to learn of a removal:
 *
 *  (A) Applied: our own configuration excludes us. We applied the entry that
 *      removed us (or installed a snapshot whose configuration excludes us).
 *  (B) Refused: a peer refused our call because it does not count us as a
 *      peer, and said that config(a) — `a` its applied index — excludes us.
 *      If a >= c, config(a) comes at or after our own configuration in the
 *      sequence, and ours includes us: a removal of us, at an index in (c, a],
 *      is committed. One such refusal is proof; no quorum is needed.
 *
 * Why not "a quorum of our voters refused us"? A count of refusals cannot tell
 * a stale refuser from a current one: a learner being added is refused by
 * every voter that has not applied its AddLearner yet (with five voters, four
 * can lag and a quorum would wrongly stop it), and a peer restarted from older
 * data refuses members it has not heard of yet. Conversely a removed replica's
 * own configuration may name voters that are down or gone, so a quorum of them
 * may never answer, while a single up-to-date peer already proves the removal.
 * A refusal that does not say what the refuser's configuration is proves
 * nothing and is ignored; so is one from a configuration older than ours, or
 * one whose configuration still counts us as a member (its transport merely
 * lags its configuration).
 *
 * Incarnations. Member ids are reused: a replica that lost its data rejoins
 * under the same id (removed and added back as a learner), and a removed id
 * may be added again later. The log before the entry that added the current
 * incarnation may therefore remove "us" — an earlier incarnation. A joining
 * replica records `incarnationIndex`: an index at or after the entry that
 * added it (the leader's applied index when it confirmed the join), at which
 * its recorded configuration is in effect. Its own configuration is never
 * older than that: (A) counts only removals after it, (B) only refusals from
 * configurations at or after it. Founding members use 0.
 */
import type { ConfState, LogIndex, NodeId } from '../core/types.js';

/** What a refusing peer's configuration says about the caller. */
export type MembershipKind = 'voter' | 'learner' | 'none';

/** What a refusing peer said (see src/raft/transport/refusal.ts for the wire form). */
export interface RefusalEvidence {
  readonly peer: NodeId;
  /** The refuser's applied index; its configuration is config(appliedIndex). */
  readonly appliedIndex: LogIndex;
  /** Our place in that configuration. */
  readonly membership: MembershipKind;
  /** Index of the entry by which the refuser applied our removal; 0 when it does not know it. */
  readonly removedAtIndex: LogIndex;
}

/** This replica's configuration: confState is config(confIndex). */
export interface OwnConfiguration {
  readonly confState: ConfState;
  readonly confIndex: LogIndex;
}

/** How this replica learned of its removal, and the index and actor to report. */
export interface RemovalEvidence {
  readonly how: 'applied' | 'refused';
  /** The removing entry's index when known; otherwise the index of a configuration that excludes us. */
  readonly index: LogIndex;
  /** Who removed us or told us: e.g. "leader n1", "peer n2". */
  readonly by: string;
}

export type RefusalVerdict =
  | { readonly removed: true; readonly evidence: RemovalEvidence }
  | { readonly removed: false; readonly reason: 'still-a-member' | 'older-configuration' };

export function isMemberOf(conf: ConfState, id: NodeId): boolean {
  return conf.voters.includes(id) || conf.learners.includes(id);
}

export function membershipIn(conf: ConfState, id: NodeId): MembershipKind {
  if (conf.voters.includes(id)) return 'voter';
  return conf.learners.includes(id) ? 'learner' : 'none';
}

export class RemovalRule {
  constructor(
    readonly selfId: NodeId,
    /** Index from which this incarnation's configuration is known (0 for founding members). */
    readonly incarnationIndex: LogIndex,
  ) {
    if (!Number.isSafeInteger(incarnationIndex) || incarnationIndex < 0) {
      throw new RangeError(`incarnationIndex must be a non-negative integer, got ${incarnationIndex}`);
    }
  }

  /** The index our configuration is known at: entries of earlier incarnations never count. */
  effectiveConfIndex(own: OwnConfiguration): LogIndex {
    return Math.max(own.confIndex, this.incarnationIndex) as LogIndex;
  }

  /**
   * (A): our own configuration excludes us, and it was produced after this
   * incarnation began (an earlier one's removal is replayed by a rejoining
   * replica on its way to the entry that added it back).
   */
  removedInOwnConfiguration(own: OwnConfiguration): boolean {
    return own.confIndex > this.incarnationIndex && !isMemberOf(own.confState, this.selfId);
  }

  /** (B): see the file comment. */
  judgeRefusal(own: OwnConfiguration, refusal: RefusalEvidence): RefusalVerdict {
    if (refusal.peer === this.selfId) throw new RangeError(`a refusal from ourselves (${this.selfId})`);
    if (refusal.membership !== 'none') return { removed: false, reason: 'still-a-member' };
    if (refusal.appliedIndex < this.effectiveConfIndex(own)) return { removed: false, reason: 'older-configuration' };
    const index = refusal.removedAtIndex > this.incarnationIndex ? refusal.removedAtIndex : refusal.appliedIndex;
    return { removed: true, evidence: { how: 'refused', index, by: `peer ${refusal.peer}` } };
  }
}
