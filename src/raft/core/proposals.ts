/**
 * Proposals: on the leader they are appended (within the bounds); on a
 * follower that knows its leader they are forwarded in one Prop message per
 * Ready; otherwise they are refused with ProposalDroppedError.
 *
 * Bounds, each a named reason:
 *  - entry-too-large: one entry's data exceeds maxMsgEntriesBytes;
 *  - proposal-queue-full: maxPendingProposals entries already wait to be handed
 *    out in a Ready (leader: appended, not yet handed out; follower: forwards);
 *  - uncommitted-bytes-exceeded: the leader holds maxUncommittedEntriesBytes of
 *    uncommitted payload (one proposal is always admitted when there is none);
 *  - transfer-in-progress: the leader is handing leadership over;
 *  - conf-change-pending: a membership change is not yet applied, or this
 *    leader has not yet committed an entry of its own term (the single-server
 *    change bug fix: a new leader must not stack a change on an unknown one).
 * A membership change that does not fit the current configuration throws
 * InvalidConfChangeError (on the leader; on a follower, against its own view).
 * Forwarded proposals the leader refuses are dropped: the proposer learns of
 * it only by its own timeout, as with any message lost on the way.
 */
import type { ProposeResult } from './api.js';
import { ConfChangeDecodeError, decodeConfChange, encodeConfChange } from './confchange-codec.js';
import { InvalidConfChangeError, ProposalDroppedError } from './errors.js';
import { appendEntry } from './leader.js';
import { checkConfChange } from './membership.js';
import { newMessage } from './message.js';
import type { Raft } from './raft.js';
import { EntryType, Role, MessageType, type ConfChange, type Entry, type LogIndex, type Message, type Term } from './types.js';

export function propose(r: Raft, data: Uint8Array): ProposeResult {
  return proposeEntry(r, EntryType.Normal, data, null);
}

export function proposeConfChange(r: Raft, change: ConfChange): ProposeResult {
  return proposeEntry(r, EntryType.ConfChange, encodeConfChange(change), change);
}

function proposeEntry(r: Raft, type: EntryType, data: Uint8Array, change: ConfChange | null): ProposeResult {
  if (data.length > r.cfg.maxMsgEntriesBytes) {
    throw new ProposalDroppedError('entry-too-large', `entry of ${data.length} bytes exceeds maxMsgEntriesBytes ${r.cfg.maxMsgEntriesBytes}`);
  }
  if (r.role === Role.Leader) {
    const refusal = leaderRefusal(r, data.length) ?? (change === null ? null : confChangeRefusal(r, change));
    if (refusal !== null) throw refusal;
    const entry = appendEntry(r, type, data);
    if (change !== null) r.pendingConfIndex = entry.index;
    return { kind: 'appended', term: entry.term, index: entry.index };
  }
  if (r.lead === null) throw new ProposalDroppedError('no-leader', 'proposal dropped: no leader known');
  if (change !== null) {
    // Checked here too, against this follower's (possibly slightly stale) configuration,
    // so an obviously invalid change fails with its named error instead of a silent drop.
    const invalid = checkConfChange(r.tracker.conf, change);
    if (invalid !== null) throw invalid;
  }
  if (r.forwardBuffer.length >= r.cfg.maxPendingProposals) {
    throw new ProposalDroppedError('proposal-queue-full', `proposal dropped: ${r.forwardBuffer.length} proposals wait to be forwarded`);
  }
  r.forwardBuffer.push({ term: 0 as Term, index: 0 as LogIndex, type, data });
  return { kind: 'forwarded', leader: r.lead };
}

function leaderRefusal(r: Raft, bytes: number): ProposalDroppedError | null {
  if (r.leadTransferee !== null) {
    return new ProposalDroppedError('transfer-in-progress', `proposal dropped: leadership is moving to ${r.leadTransferee}`);
  }
  const unhanded = r.log.lastIndex() - r.log.handedOutIndex;
  if (unhanded >= r.cfg.maxPendingProposals) {
    return new ProposalDroppedError('proposal-queue-full', `proposal dropped: ${unhanded} entries wait to be handed out`);
  }
  if (r.uncommittedBytes > 0 && bytes > 0 && r.uncommittedBytes + bytes > r.cfg.maxUncommittedEntriesBytes) {
    return new ProposalDroppedError(
      'uncommitted-bytes-exceeded',
      `proposal dropped: ${r.uncommittedBytes} uncommitted bytes + ${bytes} exceeds maxUncommittedEntriesBytes ${r.cfg.maxUncommittedEntriesBytes}`,
    );
  }
  return null;
}

function confChangeRefusal(r: Raft, change: ConfChange): ProposalDroppedError | InvalidConfChangeError | null {
  if (r.pendingConfIndex > r.log.applied) {
    return new ProposalDroppedError('conf-change-pending', `membership change dropped: the change at ${r.pendingConfIndex} is not applied yet (applied ${r.log.applied})`);
  }
  if (!r.committedInCurrentTerm()) {
    return new ProposalDroppedError('conf-change-pending', 'membership change dropped: this leader has not committed an entry of its term yet');
  }
  return checkConfChange(r.tracker.conf, change);
}

/** Leader: proposals forwarded by a follower. Refused ones are dropped (the follower's caller times out). */
export function acceptForwardedProposals(r: Raft, m: Message): void {
  appendForwarded(r, m.entries);
}

function appendForwarded(r: Raft, entries: readonly Entry[]): void {
  for (const e of entries) {
    if (e.data.length > r.cfg.maxMsgEntriesBytes || leaderRefusal(r, e.data.length) !== null) continue;
    if (e.type === EntryType.ConfChange) {
      let change: ConfChange;
      try {
        change = decodeConfChange(e.data);
      } catch (err) {
        if (!(err instanceof ConfChangeDecodeError)) throw err;
        continue; // a malformed forwarded change never enters the log
      }
      if (confChangeRefusal(r, change) !== null) continue;
      r.pendingConfIndex = appendEntry(r, e.type, e.data).index;
    } else {
      appendEntry(r, e.type, e.data);
    }
  }
}

/** At Ready time: forward buffered proposals to the leader (or append them, if this replica now leads). */
export function flushForwardedProposals(r: Raft): void {
  if (r.forwardBuffer.length === 0) return;
  const entries = r.forwardBuffer;
  r.forwardBuffer = [];
  if (r.role === Role.Leader) {
    appendForwarded(r, entries);
    return;
  }
  if (r.lead === null) return; // the leader went away: dropped (callers time out and retry)
  const m = newMessage(MessageType.Prop, r.id, r.lead, r.term as Term);
  m.entries = entries;
  r.send(m);
}
