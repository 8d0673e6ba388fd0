/**
 * Applying committed membership changes (at advance(), once their entry was
 * handed out), and rebuilding membership on restart.
 *
 * A change that does not fit the configuration it meets (possible only for a
 * change proposed under an older configuration) is skipped: every replica
 * meets it in the same configuration, so every replica skips it alike.
 */
import { decodeConfChange } from './confchange-codec.js';
import { maybeCommit, sendAppendsTo } from './leader.js';
import { applyConfChange, checkConfChange } from './membership.js';
import type { Raft } from './raft.js';
import { sendTimeoutNow } from './transfer.js';
import { EntryType, Role, type Entry } from './types.js';

export function applyConfChangeEntry(r: Raft, entry: Entry): void {
  if (entry.type !== EntryType.ConfChange) return;
  // Already covered by a configuration installed with a newer snapshot.
  if (entry.index <= r.confHistory.currentIndex()) return;
  const change = decodeConfChange(entry.data);
  if (checkConfChange(r.tracker.conf, change) !== null) return;
  const next = applyConfChange(r.tracker.conf, change);
  r.confHistory.push(entry.index, next);
  r.tracker.setConf(next, r.log.lastIndex());
  if (r.role === Role.Leader) leaderAfterConfChange(r);
}

function leaderAfterConfChange(r: Raft): void {
  if (!r.tracker.isVoter(r.id)) {
    stepDownRemovedLeader(r);
    return;
  }
  if (r.leadTransferee !== null && !r.tracker.isVoter(r.leadTransferee)) r.leadTransferee = null;
  // The quorum changed: entries may now be committed, and new members need entries.
  maybeCommit(r);
  r.appendFlushPending = true;
}

/**
 * The leader applied its own removal. It tells everyone the new commit index
 * (so they apply the removal too), hands leadership to the most caught-up
 * voter with TimeoutNow (a new leader without waiting for a timeout), and
 * steps down.
 */
function stepDownRemovedLeader(r: Raft): void {
  let best: string | null = null;
  let bestMatch = -1;
  for (const id of r.tracker.peers) {
    const pr = r.tracker.get(id)!;
    sendAppendsTo(r, id, pr);
    if (r.tracker.isVoter(id) && pr.match > bestMatch) {
      best = id;
      bestMatch = pr.match;
    }
  }
  if (best !== null && bestMatch === r.log.lastIndex()) sendTimeoutNow(r, best as Raft['id']);
  r.becomeFollower(r.term, null);
}

/** Restart: replay the conf changes in the log up to the applied index over the snapshot's configuration. */
export function replayConfChanges(r: Raft): void {
  for (let i = r.log.firstIndex(); i <= r.log.applied; i++) {
    const entry = r.log.entryAt(i);
    if (entry.type === EntryType.ConfChange) applyConfChangeEntry(r, entry);
  }
}
