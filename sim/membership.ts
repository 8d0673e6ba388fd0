/**
 * Membership changes during the run, as an operator would make them, one at a
 * time (the core allows one pending change):
 *  - add a learner on a fresh replica, then promote it once the leader reports
 *    it caught up;
 *  - add a voter on a fresh replica directly (it starts empty);
 *  - remove a voter (possibly the leader) or a learner; once its removal is
 *    committed, the replica is decommissioned after a grace period.
 * A fresh replica is started BEFORE it is proposed, so a member is never a
 * replica that does not exist. The voter count stays within [3, replicas+2],
 * so a quorum survives the faults the schedule allows.
 *
 * Progress is judged from the committed configuration (the safety checker's
 * global view), and a change is re-proposed if it has not committed after a
 * while (its entry may have been lost with a leader).
 */
import type { RaftStatus } from '../src/raft/core/api.js';
import { ConfChangeType, type ConfChange } from '../src/raft/core/types.js';
import type { Cluster } from './cluster.js';
import { replicaId } from './ids.js';
import type { SimRandom } from './random.js';
import { TraceKind } from './trace-format.js';

const VOTERS_MIN = 3;
/** Steps between re-proposals of a change that has not committed. */
const REPROPOSE_STEPS = 40;
/** A change still not done after this many steps is abandoned. */
const ABANDON_STEPS = 400;
/** Steps a removed replica keeps running (to learn its removal) before it is stopped for good. */
const DECOMMISSION_GRACE_STEPS = 30;
/** A learner is promoted once its match index is within this many entries of the leader's last index. */
const CAUGHT_UP_SLACK = 5;

type ChangeKind = 'add-learner' | 'add-voter' | 'remove';

interface Change {
  readonly kind: ChangeKind;
  readonly target: number;
  readonly startedStep: number;
  lastProposedStep: number;
  promoting: boolean;
}

export class MembershipChanges {
  private change: Change | null = null;
  private readonly decommissionAt = new Map<number, number>();
  private nextReplica: number;

  constructor(
    private readonly cluster: Cluster,
    private readonly random: SimRandom,
    firstFreeReplica: number,
    private readonly replicaNumberMax: number,
    private readonly votersMax: number,
  ) {
    this.nextReplica = firstFreeReplica;
  }

  get inProgress(): boolean {
    return this.change !== null;
  }

  /** Starts a random change if none is in progress. */
  startChange(step: number): void {
    if (this.change !== null) return;
    const { voters, learners } = this.cluster.committedMembers();
    const options: ChangeKind[] = [];
    const fresh = this.nextReplica <= this.replicaNumberMax;
    if (fresh && voters.length < this.votersMax) options.push('add-learner', 'add-voter');
    if (voters.length > VOTERS_MIN || learners.length > 0) options.push('remove');
    if (options.length === 0) return;
    const kind = this.random.pick(options);
    let target: number;
    if (kind === 'remove') {
      const removable = voters.length > VOTERS_MIN ? [...voters, ...learners] : learners;
      target = this.random.pick(removable);
    } else {
      target = this.nextReplica++;
      this.cluster.addReplica(target);
    }
    this.change = { kind, target, startedStep: step, lastProposedStep: -Infinity, promoting: false };
    this.advance(step);
  }

  /** Moves the change in progress along and decommissions removed replicas; call every step. */
  advance(step: number): void {
    for (const [replica, atStep] of this.decommissionAt) {
      if (step < atStep) continue;
      this.decommissionAt.delete(replica);
      if (!this.isMember(replica)) this.cluster.driver(replica).decommission();
    }
    const change = this.change;
    if (change === null) return;
    if (this.isDone(change)) {
      if (change.kind === 'remove') this.decommissionAt.set(change.target, step + DECOMMISSION_GRACE_STEPS);
      this.change = null;
      return;
    }
    if (step - change.startedStep > ABANDON_STEPS) {
      this.change = null;
      return;
    }
    this.propose(change, step);
  }

  private isMember(replica: number): boolean {
    const { voters, learners } = this.cluster.committedMembers();
    return voters.includes(replica) || learners.includes(replica);
  }

  private isDone(change: Change): boolean {
    const { voters, learners } = this.cluster.committedMembers();
    switch (change.kind) {
      case 'add-voter':
        return voters.includes(change.target);
      case 'add-learner':
        return voters.includes(change.target);
      case 'remove':
        return !voters.includes(change.target) && !learners.includes(change.target);
    }
  }

  private propose(change: Change, step: number): void {
    const leader = this.cluster.currentLeader();
    if (leader === null) return;
    const confChange = this.nextConfChange(change, leader.raft!.status());
    if (confChange === null) return;
    const promotingNow = confChange.type === ConfChangeType.PromoteLearner;
    if (step - change.lastProposedStep < REPROPOSE_STEPS && promotingNow === change.promoting) return;
    change.lastProposedStep = step;
    change.promoting = promotingNow;
    const refusal = leader.proposeConfChange(confChange);
    const text = `${ConfChangeType[confChange.type]}${refusal === null ? '' : ` refused: ${refusal}`}`;
    this.cluster.trace.record(this.cluster.nowUnits(), TraceKind.ConfChange, leader.replica, change.target, confChange.type, 0, 0, 0, 0, text);
  }

  /** The change to propose now, or null while a learner is still catching up. */
  private nextConfChange(change: Change, leaderStatus: RaftStatus): ConfChange | null {
    const nodeId = replicaId(change.target);
    switch (change.kind) {
      case 'add-voter':
        return { type: ConfChangeType.AddVoter, nodeId };
      case 'remove':
        return { type: ConfChangeType.RemoveNode, nodeId };
      case 'add-learner': {
        if (!this.cluster.committedMembers().learners.includes(change.target)) return { type: ConfChangeType.AddLearner, nodeId };
        const pr = leaderStatus.progress?.get(nodeId);
        if (pr === undefined || pr.match + CAUGHT_UP_SLACK < leaderStatus.lastIndex) return null;
        return { type: ConfChangeType.PromoteLearner, nodeId };
      }
    }
  }
}
