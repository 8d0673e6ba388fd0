/**
 * Transport metrics: plain counters, incremented in place on the hot path and
 * copied out by PeerTransport.stats(). Counters only ever grow; gauges
 * (queued, connected) describe the moment of the call.
 */
import type { InboundRejectReason } from './errors.js';

export interface PeerCounters {
  /** Messages written to the peer's stream (after coalescing into batches). */
  messagesSent: number;
  /** Encoded bytes of those messages. */
  bytesSent: number;
  /** MessageBatch writes; messagesSent / batchesSent is the mean batch size. */
  batchesSent: number;
  messagesReceived: number;
  bytesReceived: number;
  batchesReceived: number;
  /** Outbound drops, by cause (see MessageDropError). */
  droppedQueueFull: number;
  droppedTooLarge: number;
  droppedUnreachable: number;
  /** Messages discarded by the drop/blackhole fault points (either direction). */
  faultDropped: number;
  /** Inbound batches from this peer rejected by decoding or validation. */
  rejectedBatches: number;
  /** Attempts to open the outbound stream. */
  connectAttempts: number;
  /** Outbound streams established after the first one. */
  reconnects: number;
  /** Reconnects started at once because the peer's stream into us opened (PeerSender.peerReachedUs). */
  reconnectsOnPeerReturn: number;
  /** Times onPeerUnreachable fired for this peer. */
  unreachableSignals: number;
  snapshotsSent: number;
  snapshotSendFailures: number;
  snapshotBytesSent: number;
  snapshotsReceived: number;
  snapshotReceiveFailures: number;
  snapshotBytesReceived: number;
}

export interface PeerStats extends PeerCounters {
  readonly address: string;
  readonly outboundConnected: boolean;
  readonly inboundStreams: number;
  readonly queuedMessages: number;
  readonly queuedBytes: number;
}

export interface TransportStats {
  readonly peers: Readonly<Record<string, PeerStats>>;
  /** Inbound rejections over all peers, by reason (includes calls from unknown peers). */
  readonly inboundRejected: Readonly<Record<InboundRejectReason, number>>;
  /** Outbound messages addressed to a node that is not a configured peer. */
  readonly droppedUnknownPeer: number;
}

export function newPeerCounters(): PeerCounters {
  return {
    messagesSent: 0,
    bytesSent: 0,
    batchesSent: 0,
    messagesReceived: 0,
    bytesReceived: 0,
    batchesReceived: 0,
    droppedQueueFull: 0,
    droppedTooLarge: 0,
    droppedUnreachable: 0,
    faultDropped: 0,
    rejectedBatches: 0,
    connectAttempts: 0,
    reconnects: 0,
    reconnectsOnPeerReturn: 0,
    unreachableSignals: 0,
    snapshotsSent: 0,
    snapshotSendFailures: 0,
    snapshotBytesSent: 0,
    snapshotsReceived: 0,
    snapshotReceiveFailures: 0,
    snapshotBytesReceived: 0,
  };
}

export function newInboundRejectCounters(): Record<InboundRejectReason, number> {
  return {
    decode: 0,
    'invalid-field': 0,
    'unknown-peer': 0,
    'wrong-sender': 0,
    'wrong-target': 0,
    'too-large': 0,
  };
}
