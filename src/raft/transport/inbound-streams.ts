/**
 * The server side of `Stream`: accepts authenticated peers' long-lived
 * streams, decodes and validates each batch, and hands valid batches on.
 *
 * A batch that fails decoding or validation is rejected whole (no partial
 * delivery: a batch is what the peer wrote at once), reported through
 * `reject` (counted, logged), and the stream keeps serving the next batch.
 * Response headers are sent as soon as the caller is accepted; the caller
 * treats them as "stream open". Every accepted stream is reported to
 * PeerHealth up and, once closed by either side, down.
 */
import * as grpc from '@grpc/grpc-js';
import type { Message, NodeId } from '../core/types.js';
import type { StreamAck } from '../../gen/edgernetes/raft/v1/raft.js';
import type { TransportConfig } from './config.js';
import { InboundRejectedError } from './errors.js';
import { admitCall } from './inbound-auth.js';
import type { MembershipOracle } from './refusal.js';
import type { PeerHealth } from './peer-health.js';
import type { PeerCounters } from './stats.js';
import { toCoreMessage, type ValidationContext } from './validate.js';
import { decodeMessageBatch } from './wire-decode.js';

export interface InboundDeps {
  readonly config: TransportConfig;
  readonly health: PeerHealth;
  isPeer(id: string): boolean;
  /** False before start() and once stopping: streams are refused as UNAVAILABLE (the caller retries). */
  accepting(): boolean;
  /** Counters of a configured peer (undefined once removed). */
  counters(peer: NodeId): PeerCounters | undefined;
  /** A valid batch from `peer`, in stream order. */
  deliver(peer: NodeId, messages: Message[]): void;
  /** An inbound call or batch was refused (peer is null when the caller was not authenticated). */
  reject(peer: NodeId | null, error: InboundRejectedError): void;
  /** A stream from `peer` opened: it is up (the sender may reconnect to it now). */
  peerReachedUs?(peer: NodeId): void;
  /** What our configuration says about a caller refused as unknown (see refusal.ts). */
  readonly membership?: MembershipOracle;
}

type StreamCall = grpc.ServerReadableStream<Buffer, StreamAck>;

interface TrackedCall {
  readonly call: StreamCall;
  readonly respond: grpc.sendUnaryData<StreamAck>;
  /** Ends our bookkeeping for the call; idempotent. */
  readonly close: () => void;
}

export class InboundStreams {
  private readonly byPeer = new Map<NodeId, Set<TrackedCall>>();

  constructor(private readonly deps: InboundDeps) {}

  /** The grpc handler for RaftPeer/Stream. */
  readonly handle = (call: StreamCall, respond: grpc.sendUnaryData<StreamAck>): void => {
    const peer = admitCall(call.metadata, this.deps, respond, 'replica is not running');
    if (peer === null) return;
    const validation: ValidationContext = {
      selfId: this.deps.config.selfId,
      peer,
      allowSnap: false,
      contextBytesMax: this.deps.config.contextBytesMax,
      nodeIdLengthMax: this.deps.config.nodeIdLengthMax,
    };
    const tracked = this.track(peer, call, respond);
    call.sendMetadata(new grpc.Metadata());
    this.deps.peerReachedUs?.(peer);
    call.on('data', (frame: Buffer) => this.onFrame(peer, frame, validation));
    call.on('end', () => {
      tracked.close();
      respond(null, {});
    });
    call.on('cancelled', tracked.close);
    call.on('error', tracked.close);
  };

  /** Ends every stream from `peer` (it was removed from the membership). */
  closePeer(peer: NodeId, detail: string): void {
    for (const tracked of [...(this.byPeer.get(peer) ?? [])]) {
      tracked.close();
      tracked.respond({ code: grpc.status.UNAVAILABLE, details: detail });
    }
  }

  closeAll(detail: string): void {
    for (const peer of [...this.byPeer.keys()]) this.closePeer(peer, detail);
  }

  private track(peer: NodeId, call: StreamCall, respond: grpc.sendUnaryData<StreamAck>): TrackedCall {
    let open = true;
    const tracked: TrackedCall = {
      call,
      respond,
      close: () => {
        if (!open) return;
        open = false;
        const set = this.byPeer.get(peer);
        set?.delete(tracked);
        if (set?.size === 0) this.byPeer.delete(peer);
        this.deps.health.inboundDown(peer);
      },
    };
    const set = this.byPeer.get(peer) ?? new Set<TrackedCall>();
    set.add(tracked);
    this.byPeer.set(peer, set);
    this.deps.health.inboundUp(peer);
    return tracked;
  }

  private onFrame(peer: NodeId, frame: Buffer, validation: ValidationContext): void {
    const counters = this.deps.counters(peer);
    if (counters === undefined) return; // removed while a frame was in flight; its calls are closing
    counters.batchesReceived++;
    counters.bytesReceived += frame.length;
    let messages: Message[];
    try {
      messages = decodeMessageBatch(frame, this.deps.config).map((wire) => toCoreMessage(wire, validation));
    } catch (err) {
      if (!(err instanceof InboundRejectedError)) throw err;
      counters.rejectedBatches++;
      this.deps.reject(peer, err);
      return;
    }
    counters.messagesReceived += messages.length;
    this.deps.deliver(peer, messages);
  }
}
