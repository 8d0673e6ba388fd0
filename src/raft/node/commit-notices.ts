/**
 * Holding a leader's commit notices back a little.
 *
 * When a leader's commit index advances it tells every follower in an
 * entry-less append (as etcd's raft does). Followers learn the commit from
 * any later append or heartbeat too, so nothing needs the notice at once —
 * except a follower waiting for it to serve a linearizable read. Each notice
 * costs a write on the leader and a wake-up, decode, step and apply on the
 * follower; with one write in flight, that is a second message per write on
 * every replica, on two cores that three replicas and their clients share.
 *
 * So a notice is held up to `holdMs`. A later append or heartbeat to the same
 * follower that carries at least its commit makes it redundant: it is dropped
 * (under steady load, every notice is). Any other message to that follower
 * (a read index answer, say) sends it first, so a follower is never told a
 * read index before the commit that serves it. When the hold ends, the notices
 * still held go out. Raft tolerates delayed and dropped messages; this only
 * bounds how stale an idle follower's applied state is (by `holdMs`).
 */
import { assert } from '../core/errors.js';
import { MessageType, type Message, type NodeId } from '../core/types.js';

/** An entry-less append: on a Ready that commits entries, a commit notice. */
function isCommitNotice(m: Message): boolean {
  return m.type === MessageType.App && m.entries.length === 0;
}

/** Messages that tell a follower the leader's commit index (Raft's own fields). */
function carriesCommit(m: Message): boolean {
  return m.type === MessageType.App || m.type === MessageType.Heartbeat;
}

export class CommitNoticeHold {
  private readonly held = new Map<NodeId, Message>();
  private timer: NodeJS.Timeout | null = null;

  /**
   * @param holdMs how long a notice may wait for a message that makes it redundant; 0 holds none
   * @param send sends messages that leave the hold (the transport's send)
   */
  constructor(
    private readonly holdMs: number,
    private readonly send: (messages: readonly Message[]) => void,
  ) {
    assert(Number.isFinite(holdMs) && holdMs >= 0, `commit notice holdMs ${holdMs} must be a number >= 0`);
  }

  /** How many notices are held now. */
  get size(): number {
    return this.held.size;
  }

  /**
   * Routes an outgoing batch: takes its commit notices in (when `notices` is
   * true and holding is on) and returns what to send now, each held notice that
   * is not redundant placed before the first message to its follower.
   */
  route(messages: readonly Message[], notices: boolean): readonly Message[] {
    const holding = notices && this.holdMs > 0;
    if (this.held.size === 0 && (!holding || !messages.some(isCommitNotice))) return messages;
    const out: Message[] = [];
    for (const m of messages) {
      const held = this.held.get(m.to);
      if (held !== undefined) {
        this.held.delete(m.to);
        const redundant = carriesCommit(m) && m.term === held.term && m.commit >= held.commit;
        if (!redundant) out.push(held);
      }
      if (holding && isCommitNotice(m)) this.held.set(m.to, m);
      else out.push(m);
    }
    this.armTimer();
    return out;
  }

  /** Drops every held notice (leadership lost, or stopping). */
  clear(): void {
    this.held.clear();
    this.armTimer();
  }

  private armTimer(): void {
    if (this.held.size === 0) {
      if (this.timer !== null) clearTimeout(this.timer);
      this.timer = null;
      return;
    }
    if (this.timer !== null) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      const due = [...this.held.values()];
      this.held.clear();
      if (due.length > 0) this.send(due);
    }, this.holdMs);
  }
}
