/**
 * Turns stream events into the "connection to a peer broke" signal.
 *
 * A peer is "up" once any stream with it (outbound accepted, or inbound
 * authenticated) has worked. The first stream failure after that fires
 * onPeerUnreachable once; further failures stay silent until a stream works
 * again. So a crashed peer, whose inbound and outbound streams both break,
 * produces one signal, as early as the first of the two breaks is seen.
 * An inbound stream replaced by a newer one from the same peer (seen open
 * before the old one closed) is not a failure.
 */
import { assert } from '../core/errors.js';
import type { NodeId } from '../core/types.js';

export class PeerHealth {
  private readonly armed = new Set<NodeId>();
  private readonly inboundCounts = new Map<NodeId, number>();

  constructor(private readonly fire: (peer: NodeId) => void) {}

  outboundUp(peer: NodeId): void {
    this.armed.add(peer);
  }

  outboundDown(peer: NodeId): void {
    this.down(peer);
  }

  inboundUp(peer: NodeId): void {
    this.inboundCounts.set(peer, this.inboundStreams(peer) + 1);
    this.armed.add(peer);
  }

  inboundDown(peer: NodeId): void {
    const remaining = this.inboundStreams(peer) - 1;
    assert(remaining >= 0, 'inbound stream count never negative');
    if (remaining === 0) this.inboundCounts.delete(peer);
    else this.inboundCounts.set(peer, remaining);
    if (remaining === 0) this.down(peer);
  }

  inboundStreams(peer: NodeId): number {
    return this.inboundCounts.get(peer) ?? 0;
  }

  /** The peer was removed: no signal for it until it is seen up again. */
  forget(peer: NodeId): void {
    this.armed.delete(peer);
  }

  private down(peer: NodeId): void {
    if (this.armed.delete(peer)) this.fire(peer);
  }
}
