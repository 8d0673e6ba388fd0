/**
 * The simulated network between replicas: per-frame drop, duplication and
 * random delay (so frames reorder), partitions (a LinkMatrix), and the
 * transport's "connection broke" signal, given where a real transport would
 * give it:
 *  - a peer crashed: its sockets close, every connected replica learns it
 *    after a short detection delay;
 *  - a link was partitioned: both ends learn it after a keepalive timeout;
 *  - a replica keeps sending over a broken link: it is told again, at most
 *    once per `unreachableRepeatUnits`.
 * A paused replica gives no signal (its kernel still holds the connections).
 *
 * Frames in flight on a link that breaks, or to a replica that crashes (or
 * restarted: a new incarnation), are lost, as on a broken TCP connection.
 */
import type { Message } from '../src/raft/core/types.js';
import { DropReason, messageCode, SNAP_ACK_CODE, SNAP_CHUNK_CODE, TraceKind } from './trace-format.js';
import type { SimRandom } from './random.js';
import { LinkMatrix, MAX_REPLICAS } from './topology.js';
import type { Trace } from './trace.js';
import type { SnapshotAck, SnapshotChunk } from './snapshot-transfer.js';

export type Frame =
  | { readonly kind: 'raft'; readonly message: Message }
  | { readonly kind: 'snap-chunk'; readonly chunk: SnapshotChunk }
  | { readonly kind: 'snap-ack'; readonly ack: SnapshotAck };

export interface Delivery {
  readonly from: number;
  readonly to: number;
  /** The receiver's incarnation when the frame was sent; a restarted receiver never sees it. */
  readonly toIncarnation: number;
  readonly frame: Frame;
}

/** What the network needs from the cluster around it. */
export interface NetworkHost {
  nowUnits(): number;
  isUp(replica: number): boolean;
  incarnation(replica: number): number;
  scheduleDelivery(atUnits: number, delivery: Delivery): void;
  /** Tell `replica`'s driver (at `atUnits`) that its connection to `peer` broke. */
  scheduleUnreachable(atUnits: number, replica: number, peer: number): void;
}

export interface NetworkMode {
  readonly dropProbability: number;
  readonly duplicateProbability: number;
  readonly minDelayUnits: number;
  readonly maxDelayUnits: number;
  /** Probability that a frame is held back by an extra delay up to spikeDelayUnits. */
  readonly spikeProbability: number;
  readonly spikeDelayUnits: number;
}

export const CALM_NETWORK: NetworkMode = {
  dropProbability: 0,
  duplicateProbability: 0,
  minDelayUnits: 1,
  maxDelayUnits: 4,
  spikeProbability: 0,
  spikeDelayUnits: 0,
};

export interface NetworkTiming {
  readonly crashDetectUnitsMax: number;
  readonly partitionDetectUnitsMin: number;
  readonly partitionDetectUnitsMax: number;
  readonly unreachableRepeatUnits: number;
  /** Bound on frames in flight on one directed link (a full socket buffer drops the rest). */
  readonly inFlightPerLinkMax: number;
}

export interface NetworkStats {
  sent: number;
  delivered: number;
  dropped: number;
  duplicated: number;
}

const LINKS = (MAX_REPLICAS + 1) * (MAX_REPLICAS + 1);

export class SimNetwork {
  readonly links = new LinkMatrix();
  mode: NetworkMode = CALM_NETWORK;
  readonly stats: NetworkStats = { sent: 0, delivered: 0, dropped: 0, duplicated: 0 };
  private readonly inFlight = new Uint16Array(LINKS);
  /** Time each directed link last reported unreachable to its sender (-Infinity: never). */
  private readonly lastUnreachableUnits = new Float64Array(LINKS).fill(-Infinity);

  constructor(
    private readonly host: NetworkHost,
    private readonly random: SimRandom,
    private readonly trace: Trace,
    private readonly timing: NetworkTiming,
  ) {}

  send(from: number, to: number, frame: Frame): void {
    this.stats.sent++;
    const now = this.host.nowUnits();
    if (!this.host.isUp(to)) return this.refuse(from, to, frame, DropReason.ReceiverDown, now);
    if (!this.links.connected(from, to)) return this.refuse(from, to, frame, DropReason.Partitioned, now);
    if (this.random.chance(this.mode.dropProbability)) return this.drop(from, to, frame, DropReason.Random, now);
    this.enqueue(from, to, frame, now);
    if (this.random.chance(this.mode.duplicateProbability)) {
      this.stats.duplicated++;
      this.trace.record(now, TraceKind.Duplicate, from, to, frameCode(frame));
      this.enqueue(from, to, frame, now);
    }
  }

  /**
   * Called when a delivery event comes due. Returns the frame if it reaches
   * the receiver's transport, or null if the connection it travelled on broke.
   */
  arrive(delivery: Delivery): Frame | null {
    const { from, to, frame } = delivery;
    this.inFlight[from * (MAX_REPLICAS + 1) + to]!--;
    const now = this.host.nowUnits();
    if (!this.host.isUp(to)) return this.drop(from, to, frame, DropReason.ReceiverDown, now), null;
    if (this.host.incarnation(to) !== delivery.toIncarnation) {
      return this.drop(from, to, frame, DropReason.StaleIncarnation, now), null;
    }
    if (!this.links.connected(from, to)) return this.drop(from, to, frame, DropReason.Partitioned, now), null;
    this.stats.delivered++;
    return frame;
  }

  /** A replica crashed: every replica that is up learns its connection to it broke. */
  peerCrashed(crashed: number, upReplicas: readonly number[]): void {
    const now = this.host.nowUnits();
    for (const r of upReplicas) {
      if (r === crashed) continue;
      this.host.scheduleUnreachable(now + this.random.between(1, this.timing.crashDetectUnitsMax), r, crashed);
    }
  }

  /** Links between these pairs just broke: both ends learn it after a keepalive timeout. */
  linksBroke(pairs: ReadonlyArray<readonly [number, number]>): void {
    const now = this.host.nowUnits();
    const { partitionDetectUnitsMin: min, partitionDetectUnitsMax: max } = this.timing;
    for (const [a, b] of pairs) {
      if (this.host.isUp(a)) this.host.scheduleUnreachable(now + this.random.between(min, max), a, b);
      if (this.host.isUp(b)) this.host.scheduleUnreachable(now + this.random.between(min, max), b, a);
    }
  }

  private enqueue(from: number, to: number, frame: Frame, now: number): void {
    const link = from * (MAX_REPLICAS + 1) + to;
    if (this.inFlight[link]! >= this.timing.inFlightPerLinkMax) {
      this.drop(from, to, frame, DropReason.InboxFull, now);
      return;
    }
    this.inFlight[link]!++;
    const mode = this.mode;
    let delay = this.random.between(mode.minDelayUnits, mode.maxDelayUnits);
    if (mode.spikeDelayUnits > 0 && this.random.chance(mode.spikeProbability)) {
      delay += this.random.between(1, mode.spikeDelayUnits);
    }
    this.host.scheduleDelivery(now + delay, { from, to, toIncarnation: this.host.incarnation(to), frame });
  }

  /** The send failed at once (peer down or link cut): the sender's transport notices. */
  private refuse(from: number, to: number, frame: Frame, reason: DropReason, now: number): void {
    this.drop(from, to, frame, reason, now);
    const link = from * (MAX_REPLICAS + 1) + to;
    if (now - this.lastUnreachableUnits[link]! < this.timing.unreachableRepeatUnits) return;
    this.lastUnreachableUnits[link] = now;
    const { partitionDetectUnitsMin: min, partitionDetectUnitsMax: max } = this.timing;
    this.host.scheduleUnreachable(now + this.random.between(min, max), from, to);
  }

  private drop(from: number, to: number, frame: Frame, reason: DropReason, now: number): void {
    this.stats.dropped++;
    this.trace.record(now, TraceKind.Drop, from, to, frameCode(frame), reason);
  }
}

export function frameCode(frame: Frame): number {
  switch (frame.kind) {
    case 'raft':
      return messageCode(frame.message.type);
    case 'snap-chunk':
      return SNAP_CHUNK_CODE;
    case 'snap-ack':
      return SNAP_ACK_CODE;
  }
}
