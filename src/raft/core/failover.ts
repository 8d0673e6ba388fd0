/**
 * Fast failover: what a follower does when its transport reports that the
 * connection to its leader broke (RaftCore.reportUnreachable), and the
 * tie-break that keeps the survivors of a crashed leader out of each other's way.
 *
 * The survivors notice the crash at slightly different times (5-50 ms apart).
 * Two things go wrong without coordination:
 *  - A, first to notice, asks for pre-votes while B still trusts the leader
 *    and ignores A by stickiness. When B notices and campaigns itself, A
 *    refuses B if A's log is longer, and nobody asks again until a randomized
 *    election timeout (10-20 ticks).
 *  - Two survivors with equal logs campaigning at once both win the pre-vote
 *    (each grants the other) and split the real vote.
 *
 * The rules, all shortcuts on top of plain Raft with pre-vote:
 *  1. Turns by rank. On the report, the first surviving voter by id campaigns
 *     at once, the k-th after k ticks (a pending rank campaign).
 *  2. Remember refusals. A follower that ignores a pre-vote by stickiness
 *     remembers the request for one election timeout (one per voter).
 *  3. Defer. On the report, a follower that remembers such a request from a
 *     candidate whose log is at least as up-to-date as its own answers it now
 *     (a late grant; the most up-to-date candidate, ties to the lowest id, so
 *     the survivors agree on one) and does not campaign by rank. Granting any
 *     (pre-)vote also cancels the rank campaign and the resends: the granter
 *     has a candidate it would elect, and competing with it splits votes.
 *  4. Resend. A pre-candidate started by rule 1 resends its request to the
 *     voters that have not answered, every `voters - 1` ticks (so every rank
 *     had its turn first), until its regular election timeout ends that
 *     campaign. This covers a lost request or late grant.
 *  5. Step back, by the same order. Two pre-candidates whose requests cross
 *     would otherwise grant each other, both win the pre-vote and split the
 *     real vote. A pre-candidate that grants a request from a preferred
 *     candidate (a more up-to-date log; an equal log and a lower id) stops
 *     counting its own pre-vote, keeping its election timer. Of two crossing
 *     requests exactly one steps back: the requests travel before the grants
 *     on each ordered stream, so the preferred one's grant reaches the other
 *     after it stepped back, and the other's grant still counts. Every request
 *     is still granted as plain pre-vote would, so a pre-candidate that cannot
 *     win blocks no one.
 *
 * Safety: pre-votes change no term and no vote, so none of this can affect
 * safety. A late grant is the answer the follower gives, through the same
 * code (Raft.step), to the same request at the moment it forgets its leader.
 * Liveness: no rule resets or delays the regular randomized election timer,
 * so every voter still starts a campaign at each of its election timeouts, as
 * in plain Raft; a step-back ends a pre-vote only in favour of a preferred
 * candidate, and the next timeout starts a new one if that candidate fails.
 * A leader alive for the others keeps their stickiness: they ignore every
 * request and resend (a one-way partition changes no term).
 * Lease-based reads need a full election timeout of stickiness: in that mode
 * the report is ignored altogether (see leaderUnreachable's caller).
 */
import { assert } from './errors.js';
import { newMessage } from './message.js';
import type { Raft } from './raft.js';
import { MessageType, Role, type LogIndex, type Message, type NodeId, type Term } from './types.js';

/** A pre-vote request this follower ignored by stickiness. */
interface RefusedPreVote {
  /** The term the candidate campaigns for (its term + 1). */
  readonly term: Term;
  readonly lastIndex: LogIndex;
  readonly lastTerm: Term;
  /** Raft.ticksTotal when it was refused. */
  readonly refusedAtTick: number;
}

/** Per-replica state of the fast-failover rules; empty outside a failover. */
export class FailoverState {
  /** Rule 2: refused requests by candidate; keys are voters (bounded by the voter count). */
  readonly refusedPreVotes = new Map<NodeId, RefusedPreVote>();
  /** Rule 1, follower only: Raft.ticksTotal at which to campaign by rank; null when none is due. */
  rankCampaignAtTick: number | null = null;
  /** Rule 4, pre-candidate only: Raft.ticksTotal of the next resend; null when it does not resend. */
  resendAtTick: number | null = null;

  /** A candidate this replica would elect exists, or a leader was heard: stop the shortcuts. */
  cancelShortcuts(): void {
    this.rankCampaignAtTick = null;
    this.resendAtTick = null;
  }

  /** Role or term changed: every rule starts over. */
  clear(): void {
    this.cancelShortcuts();
    this.refusedPreVotes.clear();
  }
}

/**
 * The follower's leader is unreachable (lease-based reads excluded by the
 * caller). Forgets the leader (ending stickiness), answers the best refused
 * pre-vote, and otherwise campaigns by rank.
 */
export function leaderUnreachable(r: Raft, leader: NodeId): void {
  assert(r.role === Role.Follower && r.lead === leader, 'leaderUnreachable on a follower of that leader');
  r.lead = null;
  const deferred = answerRefusedPreVote(r);
  if (deferred || !r.cfg.preVote || !r.promotable()) return;
  const rank = followerRank(r, leader);
  if (rank === 0) campaignByRank(r);
  else r.failover.rankCampaignAtTick = r.ticksTotal + rank;
}

/** Rule 2: called when stickiness makes this replica ignore `m`, a pre-vote request. */
export function rememberRefusedPreVote(r: Raft, m: Message): void {
  assert(m.type === MessageType.PreVote, 'only pre-vote requests are remembered');
  if (r.role !== Role.Follower || !r.tracker.isVoter(m.from)) return;
  const refused = r.failover.refusedPreVotes;
  refused.set(m.from, { term: m.term, lastIndex: m.index, lastTerm: m.logTerm, refusedAtTick: r.ticksTotal });
  for (const id of refused.keys()) if (!r.tracker.isVoter(id)) refused.delete(id);
  assert(refused.size <= r.tracker.conf.voters.length, 'at most one remembered pre-vote per voter');
}

/**
 * Rules 3 and 5, after this replica granted the (pre-)vote request `m`: stop
 * competing with that candidate. A pre-candidate whose requester is preferred
 * stops counting its own pre-vote; its election timer runs on as if it had not
 * been interrupted, so it campaigns again when it would have anyway if that
 * candidate fails.
 */
export function deferToCandidate(r: Raft, m: Message): void {
  r.failover.cancelShortcuts();
  if (m.type !== MessageType.PreVote || r.role !== Role.PreCandidate || !isPreferredOverSelf(r, m)) return;
  const elapsedTicks = r.electionElapsedTicks;
  const timeoutTicks = r.randomizedElectionTimeoutTicks;
  r.becomeFollower(r.term, null);
  r.electionElapsedTicks = elapsedTicks;
  r.randomizedElectionTimeoutTicks = timeoutTicks;
}

/** Rule 5's order: a more up-to-date log first; equal logs: the lower id. */
function isPreferredOverSelf(r: Raft, m: Message): boolean {
  const lastTerm = r.log.lastTerm();
  const lastIndex = r.log.lastIndex();
  if (m.logTerm !== lastTerm) return m.logTerm > lastTerm;
  if (m.index !== lastIndex) return m.index > lastIndex;
  return m.from < r.id;
}

/** Rules 1 and 4, on every tick of a non-leader whose regular election timer did not fire. */
export function tickFailover(r: Raft): void {
  const f = r.failover;
  if (f.rankCampaignAtTick !== null && r.ticksTotal >= f.rankCampaignAtTick) {
    assert(r.role === Role.Follower, 'a rank campaign is pending on followers only');
    f.rankCampaignAtTick = null;
    campaignByRank(r);
  } else if (f.resendAtTick !== null && r.ticksTotal >= f.resendAtTick) {
    assert(r.role === Role.PreCandidate, 'resends happen on pre-candidates only');
    // Removed from the voters by a conf change since it campaigned: the campaign is moot.
    if (!r.promotable()) {
      f.cancelShortcuts();
      return;
    }
    for (const id of r.tracker.conf.voters) {
      if (id !== r.id && !r.tracker.hasVoteFrom(id)) r.requestVote(id, true, false);
    }
    f.resendAtTick = r.ticksTotal + resendIntervalTicks(r);
  }
}

/** Rule 1's campaign: a pre-vote with resends (rule 4) until the regular timer ends it. */
function campaignByRank(r: Raft): void {
  r.hup(false);
  if (r.role === Role.PreCandidate) r.failover.resendAtTick = r.ticksTotal + resendIntervalTicks(r);
}

/** One tick per surviving voter: every rank has had its turn before the first resend. */
function resendIntervalTicks(r: Raft): number {
  return Math.max(1, r.tracker.conf.voters.length - 1);
}

/** This replica's position among the voters other than the lost leader, ordered by id. */
function followerRank(r: Raft, lostLeader: NodeId): number {
  let rank = 0;
  for (const id of r.tracker.conf.voters) if (id !== lostLeader && id < r.id) rank++;
  return rank;
}

/**
 * Rule 3: re-deliver the best remembered request (fresh, for a term above
 * ours, from a voter whose log is at least as up-to-date as ours) now that
 * stickiness ended; Raft.step grants it. Forgets every remembered request.
 * Returns whether one was granted.
 */
function answerRefusedPreVote(r: Raft): boolean {
  let best: Candidate | null = null;
  for (const [id, req] of r.failover.refusedPreVotes) {
    const fresh = r.ticksTotal - req.refusedAtTick < r.cfg.electionTimeoutTicks;
    if (!fresh || req.term <= r.term || !r.tracker.isVoter(id) || !r.log.isUpToDate(req.lastIndex, req.lastTerm)) continue;
    if (best === null || isBetter({ id, req }, best)) best = { id, req };
  }
  r.failover.refusedPreVotes.clear();
  if (best === null) return false;
  const request = newMessage(MessageType.PreVote, best.id, r.id, best.req.term);
  request.index = best.req.lastIndex;
  request.logTerm = best.req.lastTerm;
  const sentBefore = r.msgsBeforePersist.length;
  r.step(request);
  const answer = r.msgsBeforePersist[sentBefore];
  assert(answer?.type === MessageType.PreVoteResp && !answer.reject && answer.to === best.id, 'a remembered pre-vote is granted once stickiness ended');
  return true;
}

interface Candidate {
  readonly id: NodeId;
  readonly req: RefusedPreVote;
}

/** More up-to-date log first; equal logs: the lower id (the survivors all pick the same). */
function isBetter(a: Candidate, b: Candidate): boolean {
  if (a.req.lastTerm !== b.req.lastTerm) return a.req.lastTerm > b.req.lastTerm;
  if (a.req.lastIndex !== b.req.lastIndex) return a.req.lastIndex > b.req.lastIndex;
  return a.id < b.id;
}
