/**
 * Linearizable reads (ReadIndex, §6.4) on the leader, and their forwarding from
 * followers.
 *
 * 'safe': a read waits until (1) the leader has committed an entry of its own
 * term (only then is its commit index at least every earlier leader's), and
 * (2) a heartbeat round that started after the read arrived is answered by a
 * quorum; then it is granted the commit index recorded when that round began.
 *
 * 'leaseBased' (explicit opt-in): the leader grants reads at once, without a
 * round, while it holds a lease: a quorum of voters answered it within the last
 * electionTimeoutTicks / 2 ticks, and no transfer is in progress. Followers
 * that heard from the leader will not vote for anyone else for an election
 * timeout (check-quorum stickiness), so no other leader can exist yet.
 * CLOCK ASSUMPTION: every replica's ticks measure the same wall time within a
 * bounded drift, and one-way message delay plus the drift accumulated over an
 * election timeout stay below electionTimeoutTicks / 2. If that fails (a paused
 * process, a jumping clock) a lease read may be stale; 'safe' has no such
 * assumption. In this mode a broken connection to the leader does not start an
 * immediate pre-vote (that would end the followers' stickiness early).
 */
import { ProposalDroppedError } from './errors.js';
import { bcastHeartbeat } from './leader.js';
import { decodeRoundContext, newMessage } from './message.js';
import type { Raft } from './raft.js';
import type { ReadRequest } from './read-only.js';
import { MessageType, Role, type LogIndex, type Term } from './types.js';

/** API entry: ask for a read index for `context` (answered by a ReadState). */
export function readIndex(r: Raft, context: Uint8Array): void {
  if (r.role === Role.Leader) {
    handleReadRequest(r, { from: r.id, context }, true);
    return;
  }
  if (r.lead === null) throw new ProposalDroppedError('no-leader', 'read index dropped: no leader known');
  if (r.forwardedReadCount >= r.cfg.maxPendingProposals) {
    throw new ProposalDroppedError('read-queue-full', `read index dropped: ${r.forwardedReadCount} reads already forwarded in this batch`);
  }
  r.forwardedReadCount++;
  const m = newMessage(MessageType.ReadIndex, r.id, r.lead, r.term as Term);
  m.context = context;
  r.send(m);
}

/** Leader: queue a read (local or forwarded). A full queue throws for local reads, drops forwarded ones. */
export function handleReadRequest(r: Raft, request: ReadRequest, local: boolean): void {
  if (r.readOnly.isFull()) {
    if (local) throw new ProposalDroppedError('read-queue-full', `read index dropped: ${r.readOnly.pendingCount()} reads waiting`);
    return;
  }
  r.readOnly.enqueue(request);
  maybeStartReadRound(r);
}

/** Start a confirmation round for the queued reads when the leader may serve them. */
export function maybeStartReadRound(r: Raft): void {
  if (r.role !== Role.Leader || !r.committedInCurrentTerm()) return;
  if (r.cfg.readOnlyOption === 'leaseBased' && leaseHeld(r)) {
    // The round needs no heartbeats: the lease already proves leadership.
    const round = r.readOnly.startRound(r.log.committed, r.id);
    if (round !== null) finishRound(r);
    return;
  }
  const round = r.readOnly.startRound(r.log.committed, r.id);
  if (round === null) return;
  if (r.tracker.isQuorum(round.acks)) finishRound(r);
  else bcastHeartbeat(r, round.context);
}

/** A heartbeat answer carried `context`: count it toward the round it names. */
export function onReadAck(r: Raft, from: Raft['id'], context: Uint8Array): void {
  const round = r.readOnly.ack(from, decodeRoundContext(context));
  if (round !== null && r.tracker.isQuorum(round.acks)) finishRound(r);
}

function finishRound(r: Raft): void {
  const round = r.readOnly.finishRound();
  for (const request of round.requests) {
    if (request.from === r.id) {
      r.readStates.push({ index: round.index as LogIndex, context: request.context });
    } else {
      const m = newMessage(MessageType.ReadIndexResp, r.id, request.from, r.term as Term);
      m.index = round.index as LogIndex;
      m.context = request.context;
      r.send(m);
    }
  }
  maybeStartReadRound(r); // reads that arrived during the round get the next one
}

function leaseHeld(r: Raft): boolean {
  if (r.leadTransferee !== null) return false;
  const leaseTicks = Math.floor(r.cfg.electionTimeoutTicks / 2);
  return r.tracker.quorumHeardSince(r.ticksTotal - leaseTicks);
}
