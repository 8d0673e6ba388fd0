/**
 * How a leader handles messages of its own term: acknowledgements from
 * followers (flow control, backtracking, commit), heartbeat answers (read
 * confirmations, probe restarts), and requests forwarded by followers.
 */
import { fail } from './errors.js';
import { maybeCommit, sendAppend, sendAppendsTo } from './leader.js';
import { acceptForwardedProposals } from './proposals.js';
import type { Raft } from './raft.js';
import { handleReadRequest, onReadAck } from './reads.js';
import { sendTimeoutNow } from './transfer.js';
import type { Progress } from './tracker/progress.js';
import { MessageType, type Message } from './types.js';

export function stepLeader(r: Raft, m: Message): void {
  switch (m.type) {
    case MessageType.Prop:
      acceptForwardedProposals(r, m);
      return;
    case MessageType.ReadIndex:
      if (r.tracker.isMember(m.from)) handleReadRequest(r, { from: m.from, context: m.context }, false);
      return;
    case MessageType.App:
    case MessageType.Heartbeat:
    case MessageType.Snap:
      fail(`two leaders in term ${r.term}: ${r.id} and ${m.from}`);
  }
  const pr = r.tracker.get(m.from);
  if (pr === undefined) return; // not (or no longer) a member
  pr.recentActive = true;
  pr.lastHeardTick = r.ticksTotal;
  if (m.type === MessageType.AppResp) handleAppResp(r, m, pr);
  else if (m.type === MessageType.HeartbeatResp) handleHeartbeatResp(r, m, pr);
}

function handleAppResp(r: Raft, m: Message, pr: Progress): void {
  if (m.reject) {
    handleAppReject(r, m, pr);
    return;
  }
  const updated = pr.maybeUpdate(m.index);
  if (!updated && !(pr.match === m.index && pr.state === 'probe')) return;
  if (pr.state === 'probe') {
    pr.becomeReplicate();
  } else if (pr.state === 'snapshot' && pr.match + 1 >= r.log.firstIndex()) {
    // The follower installed the snapshot (or otherwise caught up): the log can serve it again.
    pr.becomeProbe();
    pr.becomeReplicate();
  } else if (pr.state === 'replicate') {
    pr.inflights.freeLE(m.index);
  }
  maybeCommit(r);
  sendAppendsTo(r, m.from, pr);
  if (m.from === r.leadTransferee && pr.match === r.log.lastIndex()) sendTimeoutNow(r, m.from);
}

/**
 * Fast backtracking: the follower's hint (rejectHint, rejectHintTerm) says where
 * its log probably stops matching; find in our log the last index whose term is
 * <= the hint's term and probe from there, skipping whole divergent terms per
 * round trip instead of one entry.
 */
function handleAppReject(r: Raft, m: Message, pr: Progress): void {
  let nextProbe: number = m.rejectHint;
  if (m.rejectHintTerm > 0) nextProbe = r.log.findConflictByTerm(m.rejectHint, m.rejectHintTerm);
  if (!pr.maybeDecrTo(m.index, nextProbe)) return;
  if (pr.state === 'replicate') pr.becomeProbe();
  sendAppend(r, m.from, pr, true);
}

function handleHeartbeatResp(r: Raft, m: Message, pr: Progress): void {
  // An answer means the follower is reachable: resume a paused probe, and (in
  // replicate with full inflights) send an entry-less append so that lost
  // messages are detected by the follower's rejection.
  pr.flowPaused = false;
  if (pr.match < r.log.lastIndex() || pr.state === 'probe') sendAppend(r, m.from, pr, true);
  if (m.context.length > 0) onReadAck(r, m.from, m.context);
}
