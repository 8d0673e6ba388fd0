/**
 * Election checks, from what replicas send and receive:
 *  - Election Safety: at most one leader per term. Every leader ever observed
 *    (a Ready's soft state, or a leader-only message it sent) is recorded.
 *  - Election quorum: a new leader of term T must have received grants OF
 *    TERM T from a quorum of its configuration (a grant counts only for the
 *    term it was given in).
 *  - One vote per term: a replica never grants its vote in one term to two
 *    candidates, across crashes (its vote must be durable before it is sent).
 * Memory grows with the number of terms and elections in the run.
 */
import type { ConfState } from '../src/raft/core/types.js';
import { SimViolation } from './errors.js';

export class ElectionChecks {
  private readonly leaderByTerm = new Map<number, number>();
  /** The candidate each voter granted its vote to, by "voter:term", as sent. */
  private readonly votesCast = new Map<string, string>();
  /** Voters that granted each (candidate, term) its vote, as the candidate received them. */
  private readonly grants = new Map<string, Set<string>>();

  leaderOf(term: number): number | undefined {
    return this.leaderByTerm.get(term);
  }

  /** `replica` acts as leader of `term`; returns true the first time it is seen leading that term. */
  observeLeader(replica: number, term: number): boolean {
    const known = this.leaderByTerm.get(term);
    if (known === replica) return false;
    if (known !== undefined) {
      throw new SimViolation('election-safety', `two leaders in term ${term}: n${known} and n${replica}`);
    }
    this.leaderByTerm.set(term, replica);
    return true;
  }

  /** `voter` sends a granted vote of `term` to `candidate`: one candidate per voter and term, ever. */
  onVoteCast(voter: number, term: number, candidate: string): void {
    const key = `${voter}:${term}`;
    const earlier = this.votesCast.get(key);
    if (earlier === undefined) this.votesCast.set(key, candidate);
    else if (earlier !== candidate) {
      throw new SimViolation('double-vote', `n${voter} granted its vote in term ${term} to ${earlier} and then to ${candidate}`);
    }
  }

  /** `candidate` received a granted vote of `term` from `voter`. */
  onVoteGranted(candidate: number, voter: string, term: number): void {
    const key = `${candidate}:${term}`;
    let set = this.grants.get(key);
    if (set === undefined) {
      set = new Set();
      this.grants.set(key, set);
    }
    set.add(voter);
  }

  /** `replica` just became leader of `term` with configuration `conf`: it must hold grants of `term` from a quorum. */
  checkElectionQuorum(replica: number, term: number, conf: ConfState): void {
    const self = `n${replica}`;
    const granted = this.grants.get(`${replica}:${term}`);
    let votes = 0;
    for (const v of conf.voters) if (v === self || granted?.has(v)) votes++;
    if (votes > conf.voters.length / 2) return;
    throw new SimViolation(
      'election-quorum',
      `n${replica} became leader of term ${term} with votes of that term from only ${votes} of voters [${conf.voters.join(',')}] (granted: ${[...(granted ?? [])].join(',') || 'none'})`,
    );
  }
}
