/**
 * Leader-side replication: what to send each follower (AppendEntries within
 * its flow-control bounds, or a snapshot when it is behind the compacted log),
 * heartbeats, and the commit rule.
 *
 * Batching: proposals and commit progress only mark `appendFlushPending`; the
 * AppendEntries go out when the next Ready is built (flushAppends), so every
 * proposal made between two Ready batches shares one message per follower.
 */
import { fail } from './errors.js';
import { entriesBytes, newMessage, NO_BYTES, NO_ENTRIES, snapshotOf } from './message.js';
import type { Raft } from './raft.js';
import { maybeStartReadRound } from './reads.js';
import type { Progress } from './tracker/progress.js';
import { EntryType, MessageType, type Entry, type LogIndex, type NodeId, type Term } from './types.js';

/** Leader state at the start of its term; appends the no-op that commits the previous terms' entries. */
export function becomeLeaderReset(r: Raft): void {
  const last = r.log.lastIndex();
  for (const [id, pr] of r.tracker.progress) {
    pr.resetForLeader(last);
    if (id === r.id) {
      pr.recentActive = true;
      pr.maybeUpdate(r.log.persistedIndex);
    }
  }
  // Any entry in the log may be an unapplied conf change: no new one until they are applied.
  r.pendingConfIndex = last;
  appendEntry(r, EntryType.Normal, NO_BYTES);
}

/** Append one entry at the end of the leader's log. Bounds are the caller's job. */
export function appendEntry(r: Raft, type: EntryType, data: Uint8Array): Entry {
  const entry: Entry = { term: r.term as Term, index: (r.log.lastIndex() + 1) as LogIndex, type, data };
  r.log.appendNew(entry);
  r.uncommittedBytes += data.length;
  r.appendFlushPending = true;
  return entry;
}

/**
 * Send one AppendEntries to `to` if its progress allows. In replicate state the
 * message carries entries only while the inflights bounds (count and bytes)
 * leave room; `sendIfEmpty` sends an entry-less one anyway (commit update or
 * probe). Returns whether a message was sent.
 */
export function sendAppend(r: Raft, to: NodeId, pr: Progress, sendIfEmpty: boolean): boolean {
  if (pr.isPaused()) return false;
  const prevIndex = pr.next - 1;
  const prevTerm = r.log.termAt(prevIndex);
  if (prevTerm < 0) return sendSnapshot(r, to, pr);
  let entries: readonly Entry[] = NO_ENTRIES;
  if (pr.state !== 'replicate') {
    entries = r.log.slice(pr.next, r.cfg.maxMsgEntriesBytes, true);
  } else if (!pr.inflights.full()) {
    // Never exceed the inflight byte bound: an entry that does not fit waits for
    // acknowledgements (one always fits when nothing is in flight, by validation).
    const budget = Math.min(r.cfg.maxMsgEntriesBytes, pr.inflights.bytesAvailable());
    entries = r.log.slice(pr.next, budget, pr.inflights.count === 0);
  }
  if (entries.length === 0 && !sendIfEmpty) return false;
  const m = newMessage(MessageType.App, r.id, to, r.term as Term);
  m.index = prevIndex as LogIndex;
  m.logTerm = prevTerm as Term;
  m.entries = entries;
  m.commit = r.log.committed as LogIndex;
  r.send(m);
  pr.sentEntries(entries.length, entriesBytes(entries));
  pr.sentCommit = Math.max(pr.sentCommit, r.log.committed);
  return true;
}

/** Send everything `to` may receive now: entries up to the bounds, then a commit update if needed. */
export function sendAppendsTo(r: Raft, to: NodeId, pr: Progress): void {
  // Each send either advances next or pauses the progress, so the loop is bounded.
  for (let i = 0; i <= r.cfg.maxInflightMsgs; i++) {
    if (!sendAppend(r, to, pr, false)) break;
  }
  if (!pr.isPaused() && pr.sentCommit < Math.min(r.log.committed, pr.next - 1)) sendAppend(r, to, pr, true);
}

/** Send what the batched proposals and commit progress call for. Called when a Ready is built. */
export function flushAppends(r: Raft): void {
  if (!r.appendFlushPending) return;
  r.appendFlushPending = false;
  for (const id of r.tracker.peers) sendAppendsTo(r, id, r.tracker.get(id)!);
}

function sendSnapshot(r: Raft, to: NodeId, pr: Progress): boolean {
  // Only to a follower we have heard from lately: a snapshot is expensive to stream.
  if (!pr.recentActive) return false;
  const meta = r.log.snapshot;
  if (meta === null) fail(`follower ${to} needs compacted entries but no snapshot exists`);
  const m = newMessage(MessageType.Snap, r.id, to, r.term as Term);
  m.snapshot = snapshotOf(meta);
  r.send(m);
  pr.becomeSnapshot(meta.index);
  return true;
}

export function bcastHeartbeat(r: Raft, context: Uint8Array): void {
  for (const id of r.tracker.peers) sendHeartbeat(r, id, context);
}

export function sendHeartbeat(r: Raft, to: NodeId, context: Uint8Array): void {
  const pr = r.tracker.get(to)!;
  const m = newMessage(MessageType.Heartbeat, r.id, to, r.term as Term);
  // A follower may not have the leader's whole log: never ask it to commit beyond what it matched.
  m.commit = Math.min(pr.match, r.log.committed) as LogIndex;
  m.context = context;
  r.send(m);
}

/**
 * The commit rule (§5.4.2): the largest index replicated on a quorum of voters
 * (this leader counting only what it has persisted), and only if that entry is
 * of the current term. Returns whether commit advanced.
 */
export function maybeCommit(r: Raft): boolean {
  const index = r.tracker.committedIndex();
  if (index <= r.log.committed || r.log.termAt(index) !== r.term) return false;
  r.log.commitTo(index);
  r.appendFlushPending = true;
  maybeStartReadRound(r);
  return true;
}

/** advance() on a leader: its own persisted entries now count toward the quorum. */
export function leaderSelfPersisted(r: Raft): void {
  const self = r.tracker.get(r.id);
  if (self === undefined) return;
  self.maybeUpdate(r.log.persistedIndex);
  maybeCommit(r);
}
