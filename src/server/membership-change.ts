/**
 * Membership changes asked for through the API (add a member, remove one).
 *
 * The Raft core takes one membership change at a time: while an earlier change
 * is not applied yet, or a new leader has not committed an entry of its term,
 * it refuses the next one (ProposalDroppedError 'conf-change-pending'). That
 * refusal is transient: another operator's change, a second replica joining at
 * the same moment, or the leader promoting a learner that caught up is applied
 * a round trip later. An operator's call therefore waits it out, retrying
 * until the call's deadline, instead of failing (which made the second of two
 * replicas started together fail to join). Every other refusal is final and
 * returned at once; after the deadline the last refusal is.
 */
import { ProposalDroppedError } from '../raft/core/errors.js';
import type { ConfChange } from '../raft/core/types.js';

/** Between attempts: the pending change is usually applied within a few milliseconds. */
export const CONF_CHANGE_RETRY_MS = 10;

export interface ConfChangeProposer<R> {
  proposeConfChange(change: ConfChange, deadlineMs: number): Promise<R>;
}

/** Proposes `change`, waiting out another change in flight until `deadlineMs`. */
export async function proposeWhenNoChangePending<R>(
  proposer: ConfChangeProposer<R>,
  change: ConfChange,
  deadlineMs: number,
  sleepMs: (ms: number) => Promise<void> = defaultSleep,
): Promise<R> {
  for (;;) {
    try {
      return await proposer.proposeConfChange(change, deadlineMs);
    } catch (err) {
      const pending = err instanceof ProposalDroppedError && err.reason === 'conf-change-pending';
      const waitMs = Math.min(CONF_CHANGE_RETRY_MS, deadlineMs - Date.now());
      if (!pending || waitMs <= 0) throw err;
      await sleepMs(waitMs);
    }
  }
}

function defaultSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
