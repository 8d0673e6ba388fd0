/**
 * ReadIndex bookkeeping on the leader (§6.4): read requests wait here until
 * the leader has confirmed, after they arrived, that it is still the leader.
 *
 * Many reads share one confirmation round: a round records the commit index
 * when it starts and is confirmed when a quorum of voters answers a heartbeat
 * carrying the round's id. Requests that arrive while a round is in flight
 * wait for the next round (a confirmation that started before a request
 * arrived proves nothing about that request). Round ids increase for the
 * lifetime of the replica, so an answer to an older round is never mistaken
 * for an answer to the current one.
 *
 * Bounded: at most `requestsMax` requests wait (queued plus in the round).
 */
import { assert } from './errors.js';
import { encodeRoundContext } from './message.js';
import type { NodeId } from './types.js';

export interface ReadRequest {
  /** The replica that asked (this replica for local reads). */
  readonly from: NodeId;
  readonly context: Uint8Array;
}

export interface ReadRound {
  readonly id: number;
  /** The heartbeat context that carries `id`. */
  readonly context: Uint8Array;
  /** The leader's commit index when the round started: the read index it grants. */
  readonly index: number;
  readonly acks: Set<NodeId>;
  readonly requests: ReadRequest[];
}

export class ReadOnly {
  private queued: ReadRequest[] = [];
  private round: ReadRound | null = null;
  private lastRoundId = 0;

  constructor(private readonly requestsMax: number) {}

  pendingCount(): number {
    return this.queued.length + (this.round?.requests.length ?? 0);
  }

  isFull(): boolean {
    return this.pendingCount() >= this.requestsMax;
  }

  enqueue(request: ReadRequest): void {
    assert(!this.isFull(), 'read queue full');
    this.queued.push(request);
  }

  /** Begin a round for every queued request, if none is in flight. Returns it, or null. */
  startRound(commitIndex: number, self: NodeId): ReadRound | null {
    if (this.round !== null || this.queued.length === 0) return null;
    this.lastRoundId++;
    this.round = { id: this.lastRoundId, context: encodeRoundContext(this.lastRoundId), index: commitIndex, acks: new Set([self]), requests: this.queued };
    this.queued = [];
    return this.round;
  }

  /** The round in flight, if any (periodic heartbeats carry its id too). */
  currentRound(): ReadRound | null {
    return this.round;
  }

  /** Record that `from` answered a heartbeat of round `roundId`. Returns the round when it is current. */
  ack(from: NodeId, roundId: number): ReadRound | null {
    if (this.round === null || this.round.id !== roundId) return null;
    this.round.acks.add(from);
    return this.round;
  }

  /** The current round is confirmed: hand back its requests and clear it. */
  finishRound(): ReadRound {
    const round = this.round;
    assert(round !== null, 'finishing a read round that is not in flight');
    this.round = null;
    return round;
  }

  /** Leadership lost: every waiting read is dropped (its caller times out and retries). */
  reset(): void {
    this.queued = [];
    this.round = null;
  }
}
