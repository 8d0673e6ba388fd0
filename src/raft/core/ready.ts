/**
 * The Ready cycle: building one batch of work for the driver, and taking its
 * acknowledgement (advance). The ordering the driver must follow is documented
 * on Ready in types.ts; this file adds two rules of its own:
 *
 *  - messages are split into those that may leave before the batch is
 *    persisted (a leader's appends/heartbeats, §10.2.1, and requests that
 *    promise nothing) and those that must wait (vote requests and answers,
 *    append answers). If the batch carries a new term, every message waits:
 *    nothing may be sent in a term this replica could forget in a crash;
 *  - hasReady() is false while a batch is out: ready() may not be called again
 *    before advance(), and everything produced meanwhile goes in the next one.
 */
import { applyConfChangeEntry } from './conf-apply.js';
import { assert } from './errors.js';
import { flushAppends, leaderSelfPersisted } from './leader.js';
import { entriesBytes, snapshotOf } from './message.js';
import { flushForwardedProposals } from './proposals.js';
import type { Raft } from './raft.js';
import { MessageType, Role, type Message, type Ready, type SoftState } from './types.js';

/**
 * A Snap message names the snapshot the driver must stream. If the driver took
 * a newer snapshot (compact()) after the message was queued, it may no longer
 * hold the older one: point the message, and the follower's progress, at the
 * latest snapshot instead.
 */
function refreshSnapMessages(r: Raft, msgs: Message[]): void {
  const latest = r.log.snapshot;
  if (latest === null) return;
  for (let i = 0; i < msgs.length; i++) {
    const m = msgs[i]!;
    if (m.type !== MessageType.Snap || m.snapshot === null || m.snapshot.metadata.index >= latest.index) continue;
    const pr = r.tracker.get(m.to);
    if (pr !== undefined && pr.state === 'snapshot' && pr.pendingSnapshot === m.snapshot.metadata.index) pr.pendingSnapshot = latest.index;
    msgs[i] = { ...m, snapshot: snapshotOf(latest) };
  }
}

/** Turn batched work (proposals, commit progress) into messages. */
function flushPending(r: Raft): void {
  if (r.role === Role.Leader) flushAppends(r);
  flushForwardedProposals(r);
}

export function hasReady(r: Raft): boolean {
  if (r.inFlight !== null) return false;
  flushPending(r);
  return (
    r.msgsBeforePersist.length > 0 ||
    r.msgsAfterPersist.length > 0 ||
    r.readStates.length > 0 ||
    r.log.pendingSnapshot !== null ||
    r.log.hasUnstable() ||
    r.log.hasNextCommitted() ||
    r.hardStateChanged() ||
    r.softStateChanged()
  );
}

export function takeReady(r: Raft): Ready {
  assert(r.inFlight === null, 'ready() called again before advance()');
  flushPending(r);
  refreshSnapMessages(r, r.msgsBeforePersist);
  refreshSnapMessages(r, r.msgsAfterPersist);
  const snapshot = r.log.pendingSnapshot;
  r.log.pendingSnapshot = null;
  const entries = r.log.takeUnstable();
  const committedEntries = r.log.takeNextCommitted(r.cfg.maxCommittedEntriesBytesPerReady);
  if (r.role === Role.Leader) r.uncommittedBytes = Math.max(0, r.uncommittedBytes - entriesBytes(committedEntries));

  const hardChanged = r.hardStateChanged();
  const hardState = hardChanged ? r.hardState() : null;
  const prevHard = r.prevHardState;
  const newTerm = hardState !== null && hardState.term !== prevHard.term;
  let messagesBeforePersist: Message[] = r.msgsBeforePersist;
  let messagesAfterPersist: Message[] = r.msgsAfterPersist;
  if (newTerm && messagesBeforePersist.length > 0) {
    messagesAfterPersist = messagesBeforePersist.concat(messagesAfterPersist);
    messagesBeforePersist = [];
  }
  let softState: SoftState | null = null;
  if (r.softStateChanged()) {
    softState = { leader: r.lead, role: r.role };
    r.prevSoftState = softState;
  }
  const mustSync =
    entries.length > 0 || snapshot !== null || (hardState !== null && (hardState.term !== prevHard.term || hardState.vote !== prevHard.vote));
  const last = entries.length > 0 ? entries[entries.length - 1]! : null;
  r.inFlight = {
    lastEntryIndex: last?.index ?? 0,
    lastEntryTerm: last?.term ?? 0,
    snapshotIndex: snapshot?.metadata.index ?? 0,
    snapshotTerm: snapshot?.metadata.term ?? 0,
    applyingTo: r.log.applying,
    committedEntries,
  };
  if (hardState !== null) r.prevHardState = hardState;
  const readStates = r.readStates;
  r.msgsBeforePersist = [];
  r.msgsAfterPersist = [];
  r.readStates = [];
  r.forwardedReadCount = 0;
  return { softState, hardState, snapshot, entries, committedEntries, messagesBeforePersist, messagesAfterPersist, readStates, mustSync };
}

export function advance(r: Raft): void {
  const done = r.inFlight;
  assert(done !== null, 'advance() without a ready() batch');
  r.inFlight = null;
  if (done.snapshotIndex > 0) {
    r.log.stableTo(done.snapshotIndex, done.snapshotTerm);
    r.log.appliedTo(Math.min(done.snapshotIndex, r.log.applying));
  }
  if (done.lastEntryIndex > 0) r.log.stableTo(done.lastEntryIndex, done.lastEntryTerm);
  for (const entry of done.committedEntries) {
    applyConfChangeEntry(r, entry);
    r.log.appliedTo(entry.index);
  }
  if (r.role === Role.Leader) leaderSelfPersisted(r);
  if (r.transferCampaignPending && r.role === Role.Follower) {
    r.transferCampaignPending = false;
    r.hup(true);
  }
}
