/**
 * How a follower handles messages of its current term: entries and heartbeats
 * from its leader, snapshots, a transfer's TimeoutNow, and answers to the reads
 * it forwarded. Anything else (stale answers, requests meant for a leader) is
 * ignored.
 */
import { fail } from './errors.js';
import { newMessage } from './message.js';
import type { Raft } from './raft.js';
import { MessageType, type LogIndex, type Message, type Snapshot, type Term } from './types.js';

export function stepFollower(r: Raft, m: Message): void {
  switch (m.type) {
    case MessageType.App:
      heardFromLeader(r, m);
      handleAppend(r, m);
      return;
    case MessageType.Heartbeat:
      heardFromLeader(r, m);
      handleHeartbeat(r, m);
      return;
    case MessageType.Snap:
      heardFromLeader(r, m);
      handleSnapshot(r, m);
      return;
    case MessageType.TimeoutNow:
      // The leader hands over: campaign now, without pre-vote, past stickiness.
      r.hup(true);
      return;
    case MessageType.ReadIndexResp:
      r.readStates.push({ index: m.index, context: m.context });
      return;
    default:
      // Prop/ReadIndex reaching a follower are not forwarded twice (no loops); others are stale.
      return;
  }
}

function heardFromLeader(r: Raft, m: Message): void {
  r.electionElapsedTicks = 0;
  r.lead = m.from;
  // The leader is reachable after all: no campaign by rank (failover.ts).
  r.failover.cancelShortcuts();
}

function respond(r: Raft, m: Message, index: number): ReturnType<typeof newMessage> {
  const resp = newMessage(MessageType.AppResp, r.id, m.from, r.term as Term);
  resp.index = index as LogIndex;
  return resp;
}

export function handleAppend(r: Raft, m: Message): void {
  if (m.index < r.log.committed) {
    // Everything up to our commit matches the leader's log already.
    r.send(respond(r, m, r.log.committed));
    return;
  }
  const lastNew = r.log.maybeAppend(m.index, m.logTerm, m.commit, m.entries);
  if (lastNew >= 0) {
    r.send(respond(r, m, lastNew));
    return;
  }
  // Reject with a hint for fast backtracking: the last index (at or below the
  // leader's probe) whose term is <= the term the leader expected there.
  const hintIndex = r.log.findConflictByTerm(Math.min(m.index, r.log.lastIndex()), m.logTerm);
  const resp = respond(r, m, m.index);
  resp.reject = true;
  resp.rejectHint = hintIndex as LogIndex;
  resp.rejectHintTerm = Math.max(0, r.log.termAt(hintIndex)) as Term;
  r.send(resp);
}

function handleHeartbeat(r: Raft, m: Message): void {
  r.log.commitTo(m.commit);
  const resp = newMessage(MessageType.HeartbeatResp, r.id, m.from, r.term as Term);
  resp.context = m.context;
  r.send(resp);
}

function handleSnapshot(r: Raft, m: Message): void {
  if (m.snapshot === null) fail(`Snap message from ${m.from} without a snapshot`);
  if (restoreSnapshot(r, m.snapshot)) r.send(respond(r, m, r.log.lastIndex()));
  else r.send(respond(r, m, r.log.committed));
}

/** Install a leader's snapshot unless our log already covers it. Returns whether the log was replaced. */
function restoreSnapshot(r: Raft, snapshot: Snapshot): boolean {
  const meta = snapshot.metadata;
  if (meta.index <= r.log.committed) return false;
  if (r.log.matchTerm(meta.index, meta.term)) {
    // Our log has the snapshot's last entry: just commit up to it.
    r.log.commitTo(meta.index);
    return false;
  }
  r.log.restore(snapshot);
  r.confHistory.reset(meta.index, meta.confState);
  r.tracker.setConf(meta.confState, r.log.lastIndex());
  return true;
}
