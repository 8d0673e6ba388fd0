/**
 * How a (pre-)candidate handles messages of its current term: a leader's
 * messages make it a follower; (pre-)vote answers are tallied.
 */
import { stepFollower } from './follower.js';
import type { Raft } from './raft.js';
import { MessageType, Role, type Message } from './types.js';

export function stepCandidate(r: Raft, m: Message): void {
  switch (m.type) {
    case MessageType.App:
    case MessageType.Heartbeat:
    case MessageType.Snap:
      // A leader exists in our term: it won.
      r.becomeFollower(m.term, m.from);
      stepFollower(r, m);
      return;
    case MessageType.PreVoteResp:
      // A granted pre-vote carries the term we campaign for (term + 1); ignore stale grants.
      if (r.role === Role.PreCandidate && (m.reject || m.term === r.term + 1)) r.onVoteAnswer(m.from, !m.reject);
      return;
    case MessageType.VoteResp:
      if (r.role === Role.Candidate) r.onVoteAnswer(m.from, !m.reject);
      return;
    default:
      return; // Prop/ReadIndex are dropped: no leader to forward to
  }
}
