/**
 * Cluster membership: validating and applying single-server changes to a
 * ConfState, and the history of configurations since the last snapshot (a
 * snapshot at index i must carry the configuration as of i, which may be older
 * than the current one).
 *
 * When a change takes effect (etcd style): when its committed entry has been
 * handed out in a Ready and the driver calls advance(), i.e. when it is
 * applied. Every replica applies the same entries in the same order, so every
 * replica moves through the same sequence of configurations.
 */
import { assert, fail, InvalidConfChangeError } from './errors.js';
import { ConfChangeType, type ConfChange, type ConfState, type NodeId } from './types.js';

export function isVoter(conf: ConfState, id: NodeId): boolean {
  return conf.voters.includes(id);
}

export function isLearner(conf: ConfState, id: NodeId): boolean {
  return conf.learners.includes(id);
}

export function isMember(conf: ConfState, id: NodeId): boolean {
  return isVoter(conf, id) || isLearner(conf, id);
}

/** Why `change` cannot apply to `conf`, or null when it can. */
export function checkConfChange(conf: ConfState, change: ConfChange): InvalidConfChangeError | null {
  const id = change.nodeId;
  switch (change.type) {
    case ConfChangeType.AddVoter:
      if (isVoter(conf, id)) return new InvalidConfChangeError('already-a-voter', id, 'cannot add a voter that is already a voter');
      if (isLearner(conf, id)) return new InvalidConfChangeError('already-a-member', id, 'is a learner; promote it instead');
      return null;
    case ConfChangeType.AddLearner:
      if (isMember(conf, id)) return new InvalidConfChangeError('already-a-member', id, 'cannot add a learner that is already a member');
      return null;
    case ConfChangeType.PromoteLearner:
      if (!isLearner(conf, id)) return new InvalidConfChangeError('not-a-learner', id, 'only a learner can be promoted');
      return null;
    case ConfChangeType.RemoveNode:
      if (!isMember(conf, id)) return new InvalidConfChangeError('not-a-member', id, 'cannot remove a node that is not a member');
      if (isVoter(conf, id) && conf.voters.length === 1) return new InvalidConfChangeError('last-voter', id, 'cannot remove the last voter');
      return null;
  }
}

/** The configuration after `change`. The change must be valid (see checkConfChange). */
export function applyConfChange(conf: ConfState, change: ConfChange): ConfState {
  if (checkConfChange(conf, change) !== null) fail(`applying an invalid conf change to ${change.nodeId}`);
  const id = change.nodeId;
  const voters = conf.voters.filter((v) => v !== id);
  const learners = conf.learners.filter((l) => l !== id);
  switch (change.type) {
    case ConfChangeType.AddVoter:
    case ConfChangeType.PromoteLearner:
      voters.push(id);
      break;
    case ConfChangeType.AddLearner:
      learners.push(id);
      break;
    case ConfChangeType.RemoveNode:
      break;
  }
  const next: ConfState = { voters, learners };
  assert(next.voters.length > 0, 'a configuration must have at least one voter');
  return next;
}

/** Configurations by the index at which they took effect, oldest first. Bounded by compaction. */
export class ConfHistory {
  private records: { index: number; conf: ConfState }[];

  constructor(index: number, conf: ConfState) {
    this.records = [{ index, conf }];
  }

  current(): ConfState {
    return this.records[this.records.length - 1]!.conf;
  }

  /** Index of the entry (or snapshot) that produced the current configuration. */
  currentIndex(): number {
    return this.records[this.records.length - 1]!.index;
  }

  push(index: number, conf: ConfState): void {
    if (index <= this.currentIndex()) fail(`configuration at ${index} not after ${this.currentIndex()}`);
    this.records.push({ index, conf });
  }

  /** The configuration in effect once the entry at `index` is applied. */
  at(index: number): ConfState {
    for (let i = this.records.length - 1; i >= 0; i--) if (this.records[i]!.index <= index) return this.records[i]!.conf;
    fail(`no configuration known at index ${index} (history starts at ${this.records[0]!.index})`);
  }

  /** Forget configurations superseded at or before `index` (a new snapshot point). */
  trimTo(index: number): void {
    let keepFrom = 0;
    for (let i = 0; i < this.records.length; i++) if (this.records[i]!.index <= index) keepFrom = i;
    if (keepFrom > 0) this.records.splice(0, keepFrom);
  }

  reset(index: number, conf: ConfState): void {
    this.records = [{ index, conf }];
  }
}
