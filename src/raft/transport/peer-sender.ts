/**
 * Everything outbound to one peer: its channel, its bounded queue, and the
 * loop that keeps one `Stream` call open and writes batches into it.
 *
 * Loop: open a call → while open, take everything queued (up to the batch
 * bounds) as one MessageBatch and write it, waiting for that write to complete
 * before taking the next; messages sent meanwhile pile up in the queue and go
 * out together, so batches grow with load and the writer never buffers more
 * than one frame beyond the queue. When the call closes (or never opens), the
 * queued messages are discarded and reported, and the loop retries after an
 * exponential backoff with jitter (reset once a call opens).
 *
 * The loop is the only consumer of the queue and the only waiter on the
 * wake-up; send paths, call events and stop() only notify it.
 */
import * as grpc from '@grpc/grpc-js';
import type { Message, NodeId } from '../core/types.js';
import { Backoff } from './backoff.js';
import type { TransportConfig } from './config.js';
import { PeerUnreachableError, type MessageDropError } from './errors.js';
import { callMetadata, channelOptions } from './grpc-service.js';
import type { RateLimitedLog, TransportLogger } from './logger.js';
import { OutboundCall } from './outbound-call.js';
import { OutboundQueue, type BatchLimits, type QueuedFrame } from './outbound-queue.js';
import { peerRefusalOf, type PeerRefusal } from './refusal.js';
import type { PeerCounters } from './stats.js';
import { Wakeup } from './wakeup.js';
import { joinFrames } from './wire-encode.js';

export interface PeerSenderHooks {
  /** The outbound stream was accepted by the peer. */
  onStreamUp(peer: NodeId): void;
  /** An accepted outbound stream broke (not called for our own stop). */
  onStreamDown(peer: NodeId, reason: Error | null): void;
  /** Queued messages discarded because the stream is down (counted by the receiver of this call). */
  onDropped(peer: NodeId, messages: readonly Message[], error: MessageDropError): void;
  /** The peer refused our stream because it does not count us as a peer. */
  onRefused(refusal: PeerRefusal): void;
}

export interface PeerSenderDeps {
  readonly config: TransportConfig;
  readonly counters: PeerCounters;
  readonly hooks: PeerSenderHooks;
  readonly logger: TransportLogger;
  readonly rateLog: RateLimitedLog;
  /** Uniform in [0, 1): backoff jitter. */
  readonly random: () => number;
}

/** Poll interval while stop() waits for queues to drain. */
const DRAIN_POLL_MS = 5;

export class PeerSender {
  /** Replaced by peerReachedUs() when the peer came back while we waited to reconnect. */
  client: grpc.Client;
  private readonly queue: OutboundQueue;
  private readonly wake = new Wakeup();
  private readonly backoff: Backoff;
  private readonly batchLimits: BatchLimits;
  private call: OutboundCall | null = null;
  /** Set by stop(): no reconnects, no hooks, no new messages. */
  private closing = false;
  /** Set once stop() has finished draining: the pump writes no more. */
  private stopped = false;
  private everOpened = false;
  /** True while the loop waits out its reconnect backoff (no attempt under way). */
  private backingOff = false;
  private loop: Promise<void> | null = null;

  private readonly config: TransportConfig;
  private readonly counters: PeerCounters;
  private readonly hooks: PeerSenderHooks;

  constructor(
    readonly peer: NodeId,
    readonly address: string,
    private readonly deps: PeerSenderDeps,
  ) {
    const { config, random } = deps;
    this.config = config;
    this.counters = deps.counters;
    this.hooks = deps.hooks;
    this.client = this.newChannel();
    this.queue = new OutboundQueue(config.queueCountMax, config.queueBytesMax);
    this.backoff = new Backoff({
      initialMs: config.reconnectBackoffInitialMs,
      maxMs: config.reconnectBackoffMaxMs,
      jitterRatio: config.reconnectJitterRatio,
      random,
    });
    this.batchLimits = {
      bytesMax: config.batchBytesMax,
      messagesMax: config.batchMessagesMax,
      entriesMax: config.batchEntriesMax,
    };
  }

  private newChannel(): grpc.Client {
    return new grpc.Client(this.address, grpc.credentials.createInsecure(), channelOptions(this.config));
  }

  get connected(): boolean {
    return this.call?.state === 'open';
  }

  get queuedMessages(): number {
    return this.queue.count;
  }

  get queuedBytes(): number {
    return this.queue.bytes;
  }

  start(): void {
    if (this.loop === null && !this.closing) this.loop = this.run();
  }

  /**
   * The peer's own stream into us just opened: it is up. If we are not
   * connected to it, reconnect now instead of waiting out both reconnect
   * backoffs, ours and the gRPC channel's (each up to reconnectBackoffMaxMs:
   * a restarted replica would otherwise hear nothing from us for up to that
   * long). A fresh channel, since the old one may sit in its own backoff.
   */
  peerReachedUs(): void {
    if (this.closing || !this.backingOff) return; // connected, or an attempt is under way
    this.counters.reconnectsOnPeerReturn++;
    this.backoff.reset();
    this.client.close();
    this.client = this.newChannel();
    this.wake.notify();
  }

  /** Queues one encoded message; returns messages dropped to keep the queue bounded. */
  enqueue(item: QueuedFrame): Message[] {
    if (this.closing) return [item.message];
    const dropped = this.queue.push(item);
    this.wake.notify();
    return dropped;
  }

  /**
   * Stops the loop and closes the channel. With drainTimeoutMs > 0, first
   * waits (at most that long) for queued messages to be written and for the
   * peer to acknowledge the stream's clean end, so a last message (e.g.
   * TimeoutNow on shutdown) gets out. Fires no hooks: the stop is ours.
   */
  async stop(drainTimeoutMs = 0): Promise<void> {
    if (this.closing) return this.loop ?? undefined;
    this.closing = true;
    const deadlineMs = Date.now() + drainTimeoutMs;
    if (drainTimeoutMs > 0) {
      await this.pollUntil(deadlineMs, () => !this.connected || (this.queue.count === 0 && !this.call?.writing));
      this.call?.end();
      await this.pollUntil(deadlineMs, () => this.call === null || this.call.state === 'closed');
    }
    this.stopped = true;
    this.call?.cancel();
    this.wake.notify();
    await this.loop;
    this.queue.clear();
    this.client.close();
  }

  private async pollUntil(deadlineMs: number, done: () => boolean): Promise<void> {
    while (Date.now() < deadlineMs && !done()) {
      await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
    }
  }

  private async run(): Promise<void> {
    while (!this.closing) {
      await this.runOneCall();
      this.discardQueued();
      if (this.closing) break;
      this.backingOff = true;
      await this.wake.waitAtMost(this.backoff.nextDelayMs());
      this.backingOff = false;
    }
  }

  private async runOneCall(): Promise<void> {
    this.counters.connectAttempts++;
    const call = new OutboundCall(
      this.client,
      callMetadata(this.config, this.peer),
      this.config.connectTimeoutMs,
      () => this.wake.notify(),
    );
    this.call = call;
    while (!this.closing && call.state === 'opening') await this.wake.wait();
    if (call.state !== 'open') {
      this.logRefusal(call.closeReason);
      const refusal = peerRefusalOf(this.peer, call.closeReason);
      if (refusal !== null && !this.closing) this.hooks.onRefused(refusal);
      return;
    }
    this.streamOpened();
    await this.pump(call);
    if (this.closing) return;
    call.cancel();
    this.deps.logger.info({ peer: this.peer, err: call.closeReason }, 'raft peer stream closed');
    this.hooks.onStreamDown(this.peer, call.closeReason);
  }

  /** A peer that is down is routine (debug); one that refuses us is misconfigured (warn, rate-limited). */
  private logRefusal(reason: Error | null): void {
    const code = (reason as Partial<grpc.ServiceError> | null)?.code;
    const fields = { peer: this.peer, address: this.address, err: reason };
    if (code === grpc.status.PERMISSION_DENIED || code === grpc.status.FAILED_PRECONDITION) {
      this.deps.rateLog.warn(`refused:${this.peer}`, fields, 'raft peer refused our stream');
    } else {
      this.deps.logger.debug(fields, 'raft peer stream did not open');
    }
  }

  private streamOpened(): void {
    if (this.everOpened) this.counters.reconnects++;
    this.everOpened = true;
    this.backoff.reset();
    this.hooks.onStreamUp(this.peer);
  }

  /** Writes batches until the call closes or the sender stops. */
  private async pump(call: OutboundCall): Promise<void> {
    while (!this.stopped && call.state === 'open') {
      if (!call.canWrite || this.queue.count === 0) {
        await this.wake.wait();
        continue;
      }
      const batch = this.queue.take(this.batchLimits);
      call.write(joinFrames(batch.frames, batch.bytes));
      this.counters.batchesSent++;
      this.counters.messagesSent += batch.messageCount;
      this.counters.bytesSent += batch.bytes;
    }
  }

  private discardQueued(): void {
    const dropped = this.queue.clear();
    if (dropped.length === 0 || this.closing) return;
    this.hooks.onDropped(
      this.peer,
      dropped,
      new PeerUnreachableError(this.peer, `stream to ${this.peer} at ${this.address} is down`),
    );
  }
}
