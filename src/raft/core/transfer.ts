/**
 * Leadership transfer (§3.10): the leader stops accepting proposals, brings the
 * transferee's log up to date, then sends TimeoutNow; the transferee campaigns
 * at once, skipping pre-vote and bypassing leader stickiness. A transfer that
 * has not completed within an election timeout is abandoned (raft.ts tick).
 */
import type { Raft } from './raft.js';
import { LeadershipTransferError, NotLeaderError } from './errors.js';
import { sendAppend, sendAppendsTo } from './leader.js';
import { newMessage } from './message.js';
import { MessageType, Role, type NodeId, type Term } from './types.js';

export function transferLeadership(r: Raft, transferee: NodeId): void {
  if (r.role !== Role.Leader) throw new NotLeaderError(r.lead);
  if (transferee === r.id) {
    abortTransfer(r); // already the leader: nothing to hand over
    return;
  }
  if (!r.tracker.isVoter(transferee)) throw new LeadershipTransferError(transferee, 'not-a-voter');
  if (r.leadTransferee === transferee) return;
  // The transfer must complete within one election timeout, counted from now.
  r.electionElapsedTicks = 0;
  r.leadTransferee = transferee;
  const pr = r.tracker.get(transferee)!;
  if (pr.match === r.log.lastIndex()) {
    sendTimeoutNow(r, transferee);
    return;
  }
  // Catch it up now rather than at the next heartbeat answer. Everything may
  // already be in flight (perhaps lost): an entry-less append checks where the
  // transferee really is. One extra message at most.
  if (pr.state === 'probe') pr.flowPaused = false;
  sendAppendsTo(r, transferee, pr);
  sendAppend(r, transferee, pr, true);
}

export function sendTimeoutNow(r: Raft, to: NodeId): void {
  r.send(newMessage(MessageType.TimeoutNow, r.id, to, r.term as Term));
}

export function abortTransfer(r: Raft): void {
  r.leadTransferee = null;
}
