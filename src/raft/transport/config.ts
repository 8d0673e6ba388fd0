/**
 * Configuration of the peer transport: identity, membership and every bound.
 * Validated once, at construction, by resolveTransportConfig(); an invalid
 * value throws TransportConfigError naming the field.
 */
import type { NodeId } from '../core/types.js';
import { TransportConfigError } from './errors.js';

const KIB = 1024;
const MIB = 1024 * KIB;

export interface TransportConfig {
  /** This replica's id. */
  readonly selfId: NodeId;
  /** The other replicas: id → "host:port". Changed at runtime by addPeer/removePeer. */
  readonly peers: ReadonlyMap<NodeId, string>;
  /**
   * Sent with every call and checked by the receiver, so two clusters sharing
   * hosts (or a reused port) never exchange messages. Empty = no cluster id.
   */
  readonly clusterId: string;

  /** Max messages waiting for one peer. On overflow the newest bulky messages are dropped. */
  readonly queueCountMax: number;
  /** Max encoded bytes waiting for one peer. */
  readonly queueBytesMax: number;
  /**
   * A writer coalesces queued messages into one MessageBatch up to this many
   * bytes; a single larger message (up to grpcMessageBytesMax) goes alone.
   */
  readonly batchBytesMax: number;
  /**
   * gRPC max send/receive message length. A single message whose encoding is
   * larger is dropped with MessageTooLargeError before sending.
   */
  readonly grpcMessageBytesMax: number;

  /** Delay before the first reconnect attempt; doubles per failure up to the max. */
  readonly reconnectBackoffInitialMs: number;
  readonly reconnectBackoffMaxMs: number;
  /** Each backoff delay is scaled by a uniform factor in [1 - ratio, 1 + ratio]. */
  readonly reconnectJitterRatio: number;
  /** A stream not accepted by the peer within this time is abandoned and retried. */
  readonly connectTimeoutMs: number;
  /** HTTP/2 ping interval on idle connections; detects peers that vanished without a reset. */
  readonly keepaliveTimeMs: number;
  /** A ping unanswered for this long closes the connection (and fires onPeerUnreachable). */
  readonly keepaliveTimeoutMs: number;

  /** Snapshot data is split into chunks of at most this many bytes. */
  readonly snapshotChunkBytes: number;
  /** A snapshot larger than this is refused by sender and receiver. */
  readonly snapshotBytesMax: number;
  /** A whole transfer must finish within this time (sender deadline; receiver timer). */
  readonly snapshotTimeoutMs: number;
  /** A transfer with no progress (no chunk written or received) for this long fails. */
  readonly snapshotIdleTimeoutMs: number;

  /**
   * Max messages, and max entries over all its messages, in one MessageBatch.
   * The writer cuts batches at these bounds; the receiver rejects a batch over
   * them before allocating its records. Same value on every replica.
   */
  readonly batchMessagesMax: number;
  readonly batchEntriesMax: number;
  /** Inbound validation bounds: a message over any of them rejects its batch. */
  readonly contextBytesMax: number;
  readonly nodeIdLengthMax: number;
  /** Max voters + learners in a snapshot's ConfState. */
  readonly confStateMembersMax: number;
  /** Messages held back at once by the inbound/outbound delay fault (beyond: dropped). */
  readonly faultDelayedMessagesMax: number;
  /** Minimum interval between two log lines of the same kind (per peer and reason). */
  readonly logIntervalMs: number;
}

export type TransportConfigInput = Pick<TransportConfig, 'selfId' | 'peers'> &
  Partial<Omit<TransportConfig, 'selfId' | 'peers'>>;

export const TRANSPORT_DEFAULTS: Omit<TransportConfig, 'selfId' | 'peers'> = {
  clusterId: '',
  queueCountMax: 4096,
  queueBytesMax: 64 * MIB,
  batchBytesMax: 4 * MIB,
  grpcMessageBytesMax: 16 * MIB,
  reconnectBackoffInitialMs: 50,
  reconnectBackoffMaxMs: 2000,
  reconnectJitterRatio: 0.2,
  connectTimeoutMs: 3000,
  keepaliveTimeMs: 1000,
  keepaliveTimeoutMs: 1000,
  snapshotChunkBytes: 1 * MIB,
  snapshotBytesMax: 8 * 1024 * MIB,
  snapshotTimeoutMs: 10 * 60_000,
  snapshotIdleTimeoutMs: 30_000,
  batchMessagesMax: 16_384,
  batchEntriesMax: 262_144,
  contextBytesMax: 64 * KIB,
  nodeIdLengthMax: 128,
  confStateMembersMax: 1024,
  faultDelayedMessagesMax: 100_000,
  logIntervalMs: 5000,
};

/** Bytes of gRPC message reserved for a SnapshotChunk's fields around its data (the header travels alone). */
export const SNAPSHOT_CHUNK_OVERHEAD_BYTES = 1 * KIB;

export function resolveTransportConfig(input: TransportConfigInput): TransportConfig {
  const config: TransportConfig = { ...TRANSPORT_DEFAULTS, ...input };
  validateIdentity(config);
  validateBounds(config);
  return config;
}

function validateIdentity(config: TransportConfig): void {
  validateNodeId('selfId', config.selfId, config.nodeIdLengthMax);
  for (const [id, address] of config.peers) {
    validateNodeId(`peers[${id}]`, id, config.nodeIdLengthMax);
    if (id === config.selfId) throw new TransportConfigError('peers', `contains selfId ${id}`);
    validateAddress(`peers[${id}]`, address);
  }
}

export function validateNodeId(field: string, id: string, lengthMax: number): void {
  if (typeof id !== 'string' || id.length === 0 || id.length > lengthMax) {
    throw new TransportConfigError(field, `node id must be 1..${lengthMax} characters`);
  }
}

export function validateAddress(field: string, address: string): void {
  if (!/^[^\s]+:\d{1,5}$/.test(address)) {
    throw new TransportConfigError(field, `address must be host:port, got "${address}"`);
  }
}

function validateBounds(c: TransportConfig): void {
  positiveInt('queueCountMax', c.queueCountMax);
  positiveInt('queueBytesMax', c.queueBytesMax);
  positiveInt('batchBytesMax', c.batchBytesMax);
  positiveInt('grpcMessageBytesMax', c.grpcMessageBytesMax);
  if (c.batchBytesMax > c.grpcMessageBytesMax) {
    throw new TransportConfigError('batchBytesMax', 'must not exceed grpcMessageBytesMax');
  }
  if (c.queueBytesMax < c.grpcMessageBytesMax) {
    throw new TransportConfigError('queueBytesMax', 'must hold at least one maximal message');
  }
  positiveInt('reconnectBackoffInitialMs', c.reconnectBackoffInitialMs);
  positiveInt('reconnectBackoffMaxMs', c.reconnectBackoffMaxMs);
  if (c.reconnectBackoffMaxMs < c.reconnectBackoffInitialMs) {
    throw new TransportConfigError('reconnectBackoffMaxMs', 'must be >= reconnectBackoffInitialMs');
  }
  if (!(c.reconnectJitterRatio >= 0 && c.reconnectJitterRatio < 1)) {
    throw new TransportConfigError('reconnectJitterRatio', 'must be in [0, 1)');
  }
  for (const field of ['connectTimeoutMs', 'keepaliveTimeMs', 'keepaliveTimeoutMs'] as const) {
    positiveInt(field, c[field]);
  }
  validateSnapshotBounds(c);
  positiveInt('batchMessagesMax', c.batchMessagesMax);
  positiveInt('batchEntriesMax', c.batchEntriesMax);
  positiveInt('contextBytesMax', c.contextBytesMax);
  positiveInt('nodeIdLengthMax', c.nodeIdLengthMax);
  positiveInt('confStateMembersMax', c.confStateMembersMax);
  positiveInt('faultDelayedMessagesMax', c.faultDelayedMessagesMax);
  positiveInt('logIntervalMs', c.logIntervalMs);
}

function validateSnapshotBounds(c: TransportConfig): void {
  positiveInt('snapshotChunkBytes', c.snapshotChunkBytes);
  if (c.snapshotChunkBytes + SNAPSHOT_CHUNK_OVERHEAD_BYTES > c.grpcMessageBytesMax) {
    throw new TransportConfigError('snapshotChunkBytes', 'chunk plus framing must fit in grpcMessageBytesMax');
  }
  positiveInt('snapshotBytesMax', c.snapshotBytesMax);
  positiveInt('snapshotTimeoutMs', c.snapshotTimeoutMs);
  positiveInt('snapshotIdleTimeoutMs', c.snapshotIdleTimeoutMs);
}

function positiveInt(field: string, value: number): void {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new TransportConfigError(field, `must be a positive integer, got ${value}`);
  }
}
