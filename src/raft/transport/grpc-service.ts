/**
 * The RaftPeer gRPC service as the transport uses it, and the channel and
 * server options that make failures show quickly on loopback and LANs.
 *
 * Requests travel as raw bytes (identity (de)serializers): the transport
 * encodes frames itself (wire-encode.ts) and decodes them itself
 * (wire-decode.ts), so a malformed batch is rejected by our code — counted,
 * logged, and the stream keeps serving — instead of grpc-js failing the whole
 * call with INTERNAL, and entry data is never copied on the way in.
 */
import * as grpc from '@grpc/grpc-js';
import {
  RaftPeerService,
  SnapshotAck,
  StreamAck,
} from '../../gen/edgernetes/raft/v1/raft.js';
import type { TransportConfig } from './config.js';

export const STREAM_PATH = RaftPeerService.stream.path;
export const SEND_SNAPSHOT_PATH = RaftPeerService.sendSnapshot.path;

/** Request metadata naming the caller, the callee and the cluster (checked by the callee). */
export const FROM_HEADER = 'x-edgernetes-from';
export const TO_HEADER = 'x-edgernetes-to';
export const CLUSTER_HEADER = 'x-edgernetes-cluster';

export const identityBytes = (bytes: Buffer): Buffer => bytes;
export const encodeStreamAck = (ack: StreamAck): Buffer => Buffer.from(StreamAck.encode(ack).finish());
export const decodeStreamAck = (bytes: Buffer): StreamAck => StreamAck.decode(bytes);
export const encodeSnapshotAck = (ack: SnapshotAck): Buffer => Buffer.from(SnapshotAck.encode(ack).finish());
export const decodeSnapshotAck = (bytes: Buffer): SnapshotAck => SnapshotAck.decode(bytes);

/** RaftPeer with byte-level requests; register with grpc.Server.addService. */
export const rawRaftPeerService = {
  stream: {
    path: STREAM_PATH,
    requestStream: true,
    responseStream: false,
    requestSerialize: identityBytes,
    requestDeserialize: identityBytes,
    responseSerialize: encodeStreamAck,
    responseDeserialize: decodeStreamAck,
  },
  sendSnapshot: {
    path: SEND_SNAPSHOT_PATH,
    requestStream: true,
    responseStream: false,
    requestSerialize: identityBytes,
    requestDeserialize: identityBytes,
    responseSerialize: encodeSnapshotAck,
    responseDeserialize: decodeSnapshotAck,
  },
} satisfies grpc.ServiceDefinition;

export function callMetadata(config: TransportConfig, to: string): grpc.Metadata {
  const metadata = new grpc.Metadata();
  metadata.set(FROM_HEADER, config.selfId);
  metadata.set(TO_HEADER, to);
  metadata.set(CLUSTER_HEADER, config.clusterId);
  return metadata;
}

/**
 * Options of the channel to one peer.
 * - keepalive pings (also without calls) find a peer that vanished without a
 *   reset (power loss, partition) within keepaliveTime + keepaliveTimeout;
 * - a local subchannel pool gives each peer client its own connection, so a
 *   broken connection is never shared with (or reused by) another client;
 * - grpc-js reconnect backoff follows ours, so a retried call does not fail
 *   immediately on a channel still waiting out a longer internal backoff;
 * - retries off: grpc-js would buffer stream messages for replay, and Raft
 *   handles loss itself.
 */
export function channelOptions(config: TransportConfig): grpc.ChannelOptions {
  return {
    'grpc.keepalive_time_ms': config.keepaliveTimeMs,
    'grpc.keepalive_timeout_ms': config.keepaliveTimeoutMs,
    'grpc.keepalive_permit_without_calls': 1,
    'grpc.use_local_subchannel_pool': 1,
    'grpc.max_receive_message_length': config.grpcMessageBytesMax,
    'grpc.max_send_message_length': config.grpcMessageBytesMax,
    'grpc.initial_reconnect_backoff_ms': config.reconnectBackoffInitialMs,
    'grpc.max_reconnect_backoff_ms': config.reconnectBackoffMaxMs,
    'grpc.enable_retries': 0,
    'grpc.enable_channelz': 0,
  };
}

/**
 * Options for a grpc.Server carrying RaftPeer (merge them into a server shared
 * with the client API). Server keepalive detects a silently dead sender, which
 * ends its inbound stream and fires onPeerUnreachable.
 */
export function serverOptions(config: TransportConfig): grpc.ServerOptions {
  return {
    'grpc.keepalive_time_ms': config.keepaliveTimeMs,
    'grpc.keepalive_timeout_ms': config.keepaliveTimeoutMs,
    'grpc.keepalive_permit_without_calls': 1,
    'grpc.max_receive_message_length': config.grpcMessageBytesMax,
    'grpc.max_send_message_length': config.grpcMessageBytesMax,
    // Channelz keeps per-call statistics and traces nobody reads here; it costs CPU on every call.
    'grpc.enable_channelz': 0,
  };
}
