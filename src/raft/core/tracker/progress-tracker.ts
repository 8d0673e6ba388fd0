/**
 * The current membership with a Progress per member (voters and learners,
 * including this replica), vote tallies for elections, and quorum questions
 * over the voters. Learners never count toward a quorum.
 */
import { assert } from '../errors.js';
import { majorityIndex, quorumSize, tally, type VoteResult } from '../quorum.js';
import type { ConfState, NodeId } from '../types.js';
import { Progress } from './progress.js';

export class ProgressTracker {
  conf: ConfState = { voters: [], learners: [] };
  readonly progress = new Map<NodeId, Progress>();
  /** Members other than `self`, in a stable order (voters then learners). */
  peers: NodeId[] = [];
  private readonly votes = new Map<NodeId, boolean>();
  private matchScratch = new Float64Array(8);

  constructor(
    readonly self: NodeId,
    private readonly inflightMsgsMax: number,
    private readonly inflightBytesMax: number,
  ) {}

  /** Switch to `conf`: create progress for new members, drop removed ones. */
  setConf(conf: ConfState, lastIndex: number): void {
    this.conf = conf;
    const members = new Set<NodeId>([...conf.voters, ...conf.learners]);
    for (const id of this.progress.keys()) if (!members.has(id)) this.progress.delete(id);
    for (const id of members) {
      const learner = conf.learners.includes(id);
      const existing = this.progress.get(id);
      if (existing !== undefined) {
        existing.isLearner = learner;
        continue;
      }
      const pr = new Progress(learner, this.inflightMsgsMax, this.inflightBytesMax);
      pr.resetForLeader(lastIndex);
      // A new member counts as active so check-quorum does not fire before it could answer.
      pr.recentActive = true;
      this.progress.set(id, pr);
    }
    this.peers = [...conf.voters, ...conf.learners].filter((id) => id !== this.self);
    if (this.matchScratch.length < conf.voters.length) this.matchScratch = new Float64Array(conf.voters.length * 2);
  }

  get(id: NodeId): Progress | undefined {
    return this.progress.get(id);
  }

  isVoter(id: NodeId): boolean {
    return this.conf.voters.includes(id);
  }

  isMember(id: NodeId): boolean {
    return this.progress.has(id);
  }

  /** Largest index replicated on a quorum of voters (by their match indexes). */
  committedIndex(): number {
    const voters = this.conf.voters;
    for (let i = 0; i < voters.length; i++) this.matchScratch[i] = this.progress.get(voters[i]!)!.match;
    return majorityIndex(this.matchScratch, voters.length);
  }

  /**
   * Check-quorum: were a quorum of voters (counting `self`) active since the
   * last call? Clears every other member's activity flag for the next round.
   */
  quorumActiveAndReset(): boolean {
    let active = 0;
    for (const id of this.conf.voters) if (id === this.self || this.progress.get(id)!.recentActive) active++;
    for (const [id, pr] of this.progress) if (id !== this.self) pr.recentActive = false;
    return active >= quorumSize(this.conf.voters.length);
  }

  /** Voters (counting `self`) heard from at or after leader tick `sinceTick`. */
  quorumHeardSince(sinceTick: number): boolean {
    let heard = 0;
    for (const id of this.conf.voters) if (id === this.self || this.progress.get(id)!.lastHeardTick >= sinceTick) heard++;
    return heard >= quorumSize(this.conf.voters.length);
  }

  /** Does `acks` (a set of node ids) hold a quorum of voters? */
  isQuorum(acks: ReadonlySet<NodeId>): boolean {
    let n = 0;
    for (const id of this.conf.voters) if (acks.has(id)) n++;
    return n >= quorumSize(this.conf.voters.length);
  }

  resetVotes(): void {
    this.votes.clear();
  }

  /** Whether `id` has answered the current campaign. */
  hasVoteFrom(id: NodeId): boolean {
    return this.votes.has(id);
  }

  /** Record a vote (the first answer of each voter counts) and return the election's state. */
  recordVote(from: NodeId, granted: boolean): VoteResult {
    if (this.isVoter(from) && !this.votes.has(from)) this.votes.set(from, granted);
    let yes = 0;
    let no = 0;
    for (const [id, g] of this.votes) {
      if (!this.isVoter(id)) continue; // removed since it voted
      if (g) yes++;
      else no++;
    }
    assert(yes + no <= this.conf.voters.length, 'more votes than voters');
    return tally(yes, no, this.conf.voters.length);
  }
}
