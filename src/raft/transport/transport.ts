/**
 * PeerTransport: Raft messages between replicas over gRPC (@grpc/grpc-js).
 *
 * For the production driver:
 *   const t = new PeerTransport({ config, handlers, snapshotSink });
 *   t.addToServer(server)   // a grpc.Server built with serverOptions(t.config), or
 *   await t.listen('0.0.0.0:7000');
 *   t.start();
 *   loop: t.send(ready.messagesBeforePersist) ... t.send(ready.messagesAfterPersist);
 *         a Snap message → t.sendSnapshot(msg, stateMachine.snapshotChunks())
 *           .then(() => core.reportSnapshot(to, 'finished'), () => core.reportSnapshot(to, 'failed'));
 *   handlers.onMessages(batch)      → core.step(m) for each (on the driver loop)
 *   handlers.onSnapshot(snap)       → install the received data, then core.step(snap); the
 *                                     transfer is acknowledged when the returned promise settles
 *   handlers.onPeerUnreachable(p)   → core.reportUnreachable(p)
 *   handlers.onPeerReachable(p)     → core.peerReachable(p) (a leader heartbeats it at once)
 *   handlers.onMessagesDropped(p,…) → e.g. core.reportUnreachable(p) on a leader
 *   handlers.onPeerRefused(r)       → a peer does not count us as a peer (removed?)
 *   options.membership(caller)      → what our configuration says about a caller we refuse
 *   conf change applied → t.addPeer(id, address) / t.removePeer(id)
 *   shutdown → await t.stop({ drainTimeoutMs })
 *
 * Threading model: everything runs on the Node event loop; send() never
 * blocks and never throws for network reasons (drops are reported); every
 * handler is called synchronously from an I/O callback and must not block.
 * Bugs — a driver breaking this contract — fail assertions.
 */
import * as grpc from '@grpc/grpc-js';
import { assert } from '../core/errors.js';
import { MessageType, type Message, type NodeId } from '../core/types.js';
import {
  resolveTransportConfig,
  validateAddress,
  validateNodeId,
  type TransportConfig,
  type TransportConfigInput,
} from './config.js';
import { DelayLine } from './delay-line.js';
import {
  InboundRejectedError,
  SnapshotInProgressError,
  SnapshotTransferError,
  TransportConfigError,
  TransportError,
  TransportStoppedError,
  type MessageDropError,
} from './errors.js';
import { FaultPoints } from './faults.js';
import { rawRaftPeerService, serverOptions } from './grpc-service.js';
import { InboundStreams } from './inbound-streams.js';
import { defaultTransportLogger, RateLimitedLog, type TransportLogger } from './logger.js';
import { OutboundPath } from './outbound-path.js';
import { PeerHealth } from './peer-health.js';
import { PeerSender } from './peer-sender.js';
import type { MembershipOracle, PeerRefusal } from './refusal.js';
import { SnapshotServer } from './snapshot-server.js';
import { SnapshotUpload } from './snapshot-sender.js';
import type { SnapshotSendResult, SnapshotSink } from './snapshot-types.js';
import {
  newInboundRejectCounters,
  newPeerCounters,
  type PeerCounters,
  type PeerStats,
  type TransportStats,
} from './stats.js';

export interface TransportHandlers {
  /** A validated batch from one peer, in the order it sent them. Must not block. */
  onMessages(messages: readonly Message[]): void;
  /**
   * The Snap message of a transfer the sink has finished. The sender gets its
   * answer only when the returned promise settles (accepted if it resolves):
   * a follower installs the received data and steps its core first, so the
   * leader, which probes the follower's log as soon as it hears "finished",
   * never probes a log still being replaced — it would be refused and send
   * the whole snapshot again. Must not block; the promise may take as long as
   * the install.
   */
  onSnapshot(message: Message): Promise<void>;
  /** A stream with `peer` broke; fired once per outage (see PeerHealth). */
  onPeerUnreachable(peer: NodeId): void;
  /** `peer` opened a stream to us (it is up, perhaps back from a restart). */
  onPeerReachable?(peer: NodeId): void;
  /** Outbound messages that were not sent (Raft tolerates the loss). */
  onMessagesDropped?(peer: NodeId, messages: readonly Message[], error: MessageDropError): void;
  /**
   * A peer refused our stream as coming from an unknown peer, with what its
   * configuration says about us when it could vouch for it (see refusal.ts).
   */
  onPeerRefused?(refusal: PeerRefusal): void;
}

export interface PeerTransportOptions {
  readonly config: TransportConfigInput;
  readonly handlers: TransportHandlers;
  readonly snapshotSink: SnapshotSink;
  /** Defaults to a fresh FaultPoints with no rule (free). */
  readonly faults?: FaultPoints;
  readonly logger?: TransportLogger;
  /** Uniform in [0, 1): backoff jitter. */
  readonly random?: () => number;
  /**
   * What our configuration says about a caller we refuse as an unknown peer,
   * sent back with the refusal. Without it refusals carry no statement.
   */
  readonly membership?: MembershipOracle;
}

export interface PeerState {
  readonly sender: PeerSender;
  readonly counters: PeerCounters;
}

type Lifecycle = 'new' | 'started' | 'stopping' | 'stopped';

/** Bound on waiting for an own server's graceful shutdown before forcing it. */
const SERVER_SHUTDOWN_GRACE_MS = 1000;

export class PeerTransport {
  readonly config: TransportConfig;
  readonly faults: FaultPoints;
  private readonly handlers: TransportHandlers;
  private readonly logger: TransportLogger;
  private readonly rateLog: RateLimitedLog;
  private readonly random: () => number;
  private readonly peers = new Map<NodeId, PeerState>();
  private readonly health: PeerHealth;
  private readonly inbound: InboundStreams;
  private readonly snapshots: SnapshotServer;
  private readonly outbound: OutboundPath;
  private readonly inboundDelay: DelayLine;
  private readonly uploads = new Map<NodeId, AbortController>();
  private readonly inboundRejected = newInboundRejectCounters();
  private lifecycle: Lifecycle = 'new';
  private ownServer: grpc.Server | null = null;

  constructor(options: PeerTransportOptions) {
    this.config = resolveTransportConfig(options.config);
    this.faults = options.faults ?? new FaultPoints();
    this.handlers = options.handlers;
    this.logger = options.logger ?? defaultTransportLogger();
    this.rateLog = new RateLimitedLog(this.logger, this.config.logIntervalMs);
    this.random = options.random ?? Math.random;
    this.health = new PeerHealth((peer) => this.peerUnreachable(peer));
    this.inboundDelay = new DelayLine(this.config.faultDelayedMessagesMax);
    this.outbound = new OutboundPath(this.config, this.faults, this.rateLog, {
      peer: (id) => this.peers.get(id),
      dropped: (peer, messages, error) => this.handlers.onMessagesDropped?.(peer, messages, error),
    });
    this.inbound = new InboundStreams({
      config: this.config,
      health: this.health,
      isPeer: (id) => this.peers.has(id as NodeId),
      accepting: () => this.lifecycle === 'started',
      counters: (peer) => this.peers.get(peer)?.counters,
      deliver: (peer, messages) => this.deliver(peer, messages),
      reject: (peer, error) => this.rejectInbound(peer, error),
      peerReachedUs: (peer) => {
        this.peers.get(peer)?.sender.peerReachedUs();
        if (this.lifecycle === 'started') this.handlers.onPeerReachable?.(peer);
      },
      membership: options.membership,
    });
    this.snapshots = new SnapshotServer({
      config: this.config,
      sink: options.snapshotSink,
      faults: this.faults,
      logger: this.logger,
      isPeer: (id) => this.peers.has(id as NodeId),
      counters: (peer) => this.peers.get(peer)?.counters,
      accepting: () => this.lifecycle === 'started',
      deliver: async (_peer, message) => {
        if (this.lifecycle === 'started') await this.handlers.onSnapshot(message);
      },
      reject: (peer, error) => this.rejectInbound(peer, error),
      membership: options.membership,
    });
    for (const [id, address] of this.config.peers) this.createPeer(id, address);
  }

  /** Registers RaftPeer on a server the driver owns (build it with serverOptions(config)). */
  addToServer(server: grpc.Server): void {
    server.addService(rawRaftPeerService, { stream: this.inbound.handle, sendSnapshot: this.snapshots.handle });
  }

  /** Starts an own server on `address` ("host:0" picks a free port); resolves with the bound port. */
  async listen(address: string): Promise<number> {
    assert(this.ownServer === null && this.lifecycle !== 'stopped', 'listen() once, before stop()');
    const server = new grpc.Server(serverOptions(this.config));
    this.addToServer(server);
    const port = await new Promise<number>((resolve, reject) => {
      server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err, bound) => {
        if (err) reject(new TransportError(`cannot listen on ${address}: ${err.message}`, { cause: err }));
        else resolve(bound);
      });
    });
    this.ownServer = server;
    return port;
  }

  /** Starts connecting to every peer and accepting snapshots. Idempotent. */
  start(): void {
    assert(this.lifecycle !== 'stopping' && this.lifecycle !== 'stopped', 'start() before stop()');
    this.lifecycle = 'started';
    for (const peer of this.peers.values()) peer.sender.start();
  }

  /**
   * Queues messages for their peers; never blocks. Messages to unknown peers,
   * oversized ones and queue overflows are dropped and reported through
   * onMessagesDropped. No-op once stopping.
   */
  send(messages: readonly Message[]): void {
    if (this.lifecycle === 'stopping' || this.lifecycle === 'stopped') return;
    for (const m of messages) {
      assert(m.from === this.config.selfId, `send() of a message from ${m.from}`);
      assert(m.type !== MessageType.Snap, 'Snap messages go through sendSnapshot()');
    }
    this.outbound.send(messages);
  }

  /**
   * Streams a snapshot to `message.to` (a Snap message from the core) with the
   * state machine's bytes from `chunks`. Resolves once the peer made it durable
   * and handed the Snap to its core; rejects with a SnapshotTransferError
   * subclass (or TransportStoppedError). At most one transfer per peer.
   */
  async sendSnapshot(message: Message, chunks: AsyncIterable<Uint8Array>): Promise<SnapshotSendResult> {
    assert(message.type === MessageType.Snap && message.snapshot !== null, 'sendSnapshot() takes a Snap message');
    assert(message.from === this.config.selfId, `sendSnapshot() of a message from ${message.from}`);
    if (this.lifecycle !== 'started') throw new TransportStoppedError('transport is not running');
    const peer = message.to;
    const state = this.peers.get(peer);
    if (state === undefined) throw new SnapshotTransferError(peer, `${peer} is not a configured peer`);
    if (this.uploads.has(peer)) throw new SnapshotInProgressError(peer, `a snapshot transfer to ${peer} is running`);
    const controller = new AbortController();
    this.uploads.set(peer, controller);
    try {
      const result = await new SnapshotUpload({
        client: state.sender.client,
        config: this.config,
        faults: this.faults,
        message,
        chunks,
        signal: controller.signal,
        onChunkWritten: (bytes) => (state.counters.snapshotBytesSent += bytes),
      }).run();
      state.counters.snapshotsSent++;
      return result;
    } catch (err) {
      state.counters.snapshotSendFailures++;
      this.logger.warn({ peer, err }, 'raft snapshot transfer failed');
      throw err;
    } finally {
      this.uploads.delete(peer);
    }
  }

  /** Adds a peer (or moves it to a new address). Takes effect at once if started. */
  async addPeer(id: NodeId, address: string): Promise<void> {
    validateNodeId('peer id', id, this.config.nodeIdLengthMax);
    validateAddress(`address of ${id}`, address);
    if (id === this.config.selfId) throw new TransportConfigError('peer id', 'cannot add self as a peer');
    const existing = this.peers.get(id);
    if (existing?.sender.address === address) return;
    if (existing !== undefined) await this.removePeer(id);
    const state = this.createPeer(id, address);
    if (this.lifecycle === 'started') state.sender.start();
  }

  /** Removes a peer: closes its streams, fails its transfers, forgets its counters. */
  async removePeer(id: NodeId): Promise<void> {
    const state = this.peers.get(id);
    if (state === undefined) return;
    this.peers.delete(id);
    this.health.forget(id);
    this.uploads.get(id)?.abort();
    this.snapshots.cancelFrom(id, 'unavailable', `${id} was removed from the membership`);
    this.inbound.closePeer(id, `${id} was removed from the membership`);
    await state.sender.stop();
  }

  /**
   * Stops everything: outbound streams (after draining queues for at most
   * drainTimeoutMs), inbound streams, transfers, and the own server if any.
   * No handler is called once stop() has begun. Idempotent.
   */
  async stop(options: { drainTimeoutMs?: number } = {}): Promise<void> {
    if (this.lifecycle === 'stopping' || this.lifecycle === 'stopped') return;
    this.lifecycle = 'stopping';
    this.outbound.clear();
    this.inboundDelay.clear();
    for (const controller of this.uploads.values()) controller.abort();
    this.snapshots.cancelAll('unavailable', 'receiver is stopping');
    await Promise.all([...this.peers.values()].map((peer) => peer.sender.stop(options.drainTimeoutMs ?? 0)));
    this.inbound.closeAll('replica is stopping');
    await this.snapshots.settled();
    await this.shutdownOwnServer();
    this.lifecycle = 'stopped';
  }

  stats(): TransportStats {
    const peers: Record<string, PeerStats> = {};
    for (const [id, state] of this.peers) {
      peers[id] = {
        ...state.counters,
        address: state.sender.address,
        outboundConnected: state.sender.connected,
        inboundStreams: this.health.inboundStreams(id),
        queuedMessages: state.sender.queuedMessages,
        queuedBytes: state.sender.queuedBytes,
      };
    }
    return {
      peers,
      inboundRejected: { ...this.inboundRejected },
      droppedUnknownPeer: this.outbound.droppedUnknownPeer,
    };
  }

  private createPeer(id: NodeId, address: string): PeerState {
    const counters = newPeerCounters();
    const sender = new PeerSender(id, address, {
      config: this.config,
      counters,
      hooks: {
        onStreamUp: (peer) => this.health.outboundUp(peer),
        onStreamDown: (peer) => this.health.outboundDown(peer),
        onDropped: (peer, messages, error) => this.outbound.reportDropped(peer, messages, error),
        onRefused: (refusal) => {
          if (this.lifecycle === 'started') this.handlers.onPeerRefused?.(refusal);
        },
      },
      logger: this.logger,
      rateLog: this.rateLog,
      random: this.random,
    });
    const state = { sender, counters };
    this.peers.set(id, state);
    return state;
  }

  private deliver(peer: NodeId, messages: Message[]): void {
    if (this.lifecycle !== 'started' || messages.length === 0) return;
    if (!this.faults.enabled) {
      this.handlers.onMessages(messages);
      return;
    }
    const counters = this.peers.get(peer)?.counters;
    const now: Message[] = [];
    let faultDropped = 0;
    for (const m of messages) {
      const verdict = this.faults.verdict(peer, 'inbound');
      if (verdict === 'pass') now.push(m);
      else if (verdict === 'drop' || !this.holdInbound(verdict, m)) faultDropped++;
    }
    if (counters !== undefined) counters.faultDropped += faultDropped;
    if (now.length > 0) this.handlers.onMessages(now);
  }

  private holdInbound(delayMs: number, message: Message): boolean {
    return this.inboundDelay.hold(delayMs, [message], (held) => {
      if (this.lifecycle === 'started') this.handlers.onMessages(held);
    });
  }

  private rejectInbound(peer: NodeId | null, error: InboundRejectedError): void {
    this.inboundRejected[error.reason]++;
    const fields = { peer, reason: error.reason, err: error };
    this.rateLog.warn(`inbound:${peer ?? '?'}:${error.reason}`, fields, 'raft inbound rejected');
  }

  private peerUnreachable(peer: NodeId): void {
    if (this.lifecycle !== 'started') return;
    const counters = this.peers.get(peer)?.counters;
    if (counters !== undefined) counters.unreachableSignals++;
    this.logger.info({ peer }, 'raft peer unreachable');
    this.handlers.onPeerUnreachable(peer);
  }

  private async shutdownOwnServer(): Promise<void> {
    const server = this.ownServer;
    if (server === null) return;
    this.ownServer = null;
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, SERVER_SHUTDOWN_GRACE_MS);
      server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
  }
}
