/**
 * The outbound half of send(): route each message to its peer, apply the
 * outbound fault points, encode it once, enforce the size limits, queue it,
 * and report whatever was dropped (counted per peer and reason, logged at a
 * bounded rate, handed to onMessagesDropped once per peer and reason per call).
 */
import type { Message, NodeId } from '../core/types.js';
import type { TransportConfig } from './config.js';
import { DelayLine } from './delay-line.js';
import {
  MessageTooLargeError,
  OutboundQueueFullError,
  UnknownPeerError,
  type MessageDropError,
} from './errors.js';
import type { FaultPoints } from './faults.js';
import type { RateLimitedLog } from './logger.js';
import { isBulkyMessageType } from './message-types.js';
import type { PeerSender } from './peer-sender.js';
import type { PeerCounters } from './stats.js';
import { encodeMessageFrame } from './wire-encode.js';

export interface OutboundPeer {
  readonly sender: PeerSender;
  readonly counters: PeerCounters;
}

export interface OutboundPeers {
  peer(id: NodeId): OutboundPeer | undefined;
  dropped(peer: NodeId, messages: readonly Message[], error: MessageDropError): void;
}

export class OutboundPath {
  /** Messages addressed to a node that is not a configured peer. */
  droppedUnknownPeer = 0;
  private readonly delay: DelayLine;
  /**
   * One OutboundQueueFullError per peer, reused: under overload drops come
   * in floods, and capturing a stack trace per drop cost more than the send.
   */
  private readonly queueFullErrors = new Map<NodeId, OutboundQueueFullError>();

  constructor(
    private readonly config: TransportConfig,
    private readonly faults: FaultPoints,
    private readonly rateLog: RateLimitedLog,
    private readonly peers: OutboundPeers,
  ) {
    this.delay = new DelayLine(config.faultDelayedMessagesMax);
  }

  send(messages: readonly Message[]): void {
    this.routeAll(messages, true);
  }

  /** Counts, logs and reports messages that were not sent. */
  reportDropped(peer: NodeId, messages: readonly Message[], error: MessageDropError): void {
    const counters = this.peers.peer(peer)?.counters;
    if (error instanceof UnknownPeerError) this.droppedUnknownPeer += messages.length;
    else if (counters !== undefined) countDrop(counters, error, messages.length);
    const fields = { peer, count: messages.length, err: error };
    this.rateLog.warn(`drop:${peer}:${error.reason}`, fields, 'raft messages dropped');
    this.peers.dropped(peer, messages, error);
  }

  /** Cancels messages held by the delay fault. */
  clear(): void {
    this.delay.clear();
  }

  /** Routes a batch; messages released by the delay fault come back with applyFaults = false. */
  private routeAll(messages: readonly Message[], applyFaults: boolean): void {
    const overflow = new Map<NodeId, Message[]>();
    for (const m of messages) this.route(m, overflow, applyFaults);
    this.reportOverflow(overflow);
  }

  private route(m: Message, overflow: Map<NodeId, Message[]>, applyFaults: boolean): void {
    const peer = this.peers.peer(m.to);
    if (peer === undefined) {
      this.reportDropped(m.to, [m], new UnknownPeerError(m.to, `${m.to} is not a configured peer`));
      return;
    }
    if (applyFaults && this.faults.enabled) {
      const verdict = this.faults.verdict(m.to, 'outbound');
      if (verdict === 'drop') {
        peer.counters.faultDropped++;
        return;
      }
      if (verdict !== 'pass') {
        if (!this.delay.hold(verdict, [m], (held) => this.routeAll(held, false))) peer.counters.faultDropped++;
        return;
      }
    }
    this.enqueue(peer, m, overflow);
  }

  private enqueue(peer: OutboundPeer, m: Message, overflow: Map<NodeId, Message[]>): void {
    const frame = encodeMessageFrame(m);
    const tooLarge =
      frame.length > this.config.grpcMessageBytesMax
        ? new MessageTooLargeError(m.to, 'bytes', frame.length, this.config.grpcMessageBytesMax)
        : m.entries.length > this.config.batchEntriesMax
          ? new MessageTooLargeError(m.to, 'entries', m.entries.length, this.config.batchEntriesMax)
          : null;
    if (tooLarge !== null) {
      this.reportDropped(m.to, [m], tooLarge);
      return;
    }
    const dropped = peer.sender.enqueue({
      message: m,
      frame,
      entryCount: m.entries.length,
      bulky: isBulkyMessageType(m.type),
    });
    if (dropped.length === 0) return;
    const list = overflow.get(m.to);
    if (list === undefined) overflow.set(m.to, dropped);
    else list.push(...dropped);
  }

  private reportOverflow(overflow: Map<NodeId, Message[]>): void {
    for (const [peer, dropped] of overflow) {
      let error = this.queueFullErrors.get(peer);
      if (error === undefined) {
        error = new OutboundQueueFullError(peer, `outbound queue to ${peer} is full`);
        this.queueFullErrors.set(peer, error);
      }
      this.reportDropped(peer, dropped, error);
    }
  }
}

function countDrop(counters: PeerCounters, error: MessageDropError, count: number): void {
  switch (error.reason) {
    case 'queue-full':
      counters.droppedQueueFull += count;
      break;
    case 'too-large':
      counters.droppedTooLarge += count;
      break;
    case 'peer-unreachable':
      counters.droppedUnreachable += count;
      break;
    case 'unknown-peer':
      break;
  }
}
