/**
 * The `SendSnapshot` handler: authenticates the caller, runs one
 * InboundTransfer per call (a newer one from the same peer supersedes the
 * older), answers with the transfer's ack, and keeps the set of running
 * transfers so stop() and removePeer() can end them and wait for them.
 */
import * as grpc from '@grpc/grpc-js';
import type { Message, NodeId } from '../core/types.js';
import type { SnapshotAck } from '../../gen/edgernetes/raft/v1/raft.js';
import type { TransportConfig } from './config.js';
import type { InboundRejectedError, SnapshotRejectReason } from './errors.js';
import type { FaultPoints } from './faults.js';
import { admitCall } from './inbound-auth.js';
import type { MembershipOracle } from './refusal.js';
import type { TransportLogger } from './logger.js';
import { InboundTransfer } from './snapshot-receiver.js';
import type { SnapshotSink } from './snapshot-types.js';
import type { PeerCounters } from './stats.js';

export interface SnapshotServerDeps {
  readonly config: TransportConfig;
  readonly sink: SnapshotSink;
  readonly faults: FaultPoints;
  readonly logger: TransportLogger;
  isPeer(id: string): boolean;
  counters(peer: NodeId): PeerCounters | undefined;
  /** False while not started or stopping: calls are refused as UNAVAILABLE. */
  accepting(): boolean;
  /** Hands over the Snap message of a finished transfer; the ack waits for the promise (TransportHandlers.onSnapshot). */
  deliver(peer: NodeId, message: Message): Promise<void>;
  reject(peer: NodeId | null, error: InboundRejectedError): void;
  /** What our configuration says about a caller refused as unknown (see refusal.ts). */
  readonly membership?: MembershipOracle;
}

type SnapshotCall = grpc.ServerReadableStream<Buffer, SnapshotAck>;

export class SnapshotServer {
  private readonly active = new Map<NodeId, InboundTransfer>();
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly deps: SnapshotServerDeps) {}

  readonly handle = (call: SnapshotCall, respond: grpc.sendUnaryData<SnapshotAck>): void => {
    const peer = admitCall(call.metadata, this.deps, respond, 'receiver is not running');
    if (peer === null) return;
    const transfer = new InboundTransfer(peer, call, { ...this.deps, deliver: this.deps.deliver });
    this.active.get(peer)?.cancel('superseded', 'a newer transfer from the same peer started');
    this.active.set(peer, transfer);
    call.on('cancelled', () => transfer.cancel('unavailable', 'the sender cancelled the transfer'));
    const done = this.finish(peer, transfer, respond);
    this.running.add(done);
    void done.finally(() => this.running.delete(done));
  };

  cancelFrom(peer: NodeId, reason: SnapshotRejectReason, detail: string): void {
    this.active.get(peer)?.cancel(reason, detail);
  }

  cancelAll(reason: SnapshotRejectReason, detail: string): void {
    for (const transfer of this.active.values()) transfer.cancel(reason, detail);
  }

  /** Resolves once every running transfer has answered its caller. */
  async settled(): Promise<void> {
    await Promise.all([...this.running]);
  }

  private async finish(
    peer: NodeId,
    transfer: InboundTransfer,
    respond: grpc.sendUnaryData<SnapshotAck>,
  ): Promise<void> {
    const outcome = await transfer.run();
    if (this.active.get(peer) === transfer) this.active.delete(peer);
    const counters = this.deps.counters(peer);
    if (counters !== undefined) {
      counters.snapshotBytesReceived += transfer.receivedBytes;
      if (outcome.error === null) counters.snapshotsReceived++;
      else counters.snapshotReceiveFailures++;
    }
    if (outcome.error !== null) {
      this.deps.logger.warn({ peer, reason: outcome.error.reason, err: outcome.error }, 'raft inbound snapshot failed');
    }
    respond(null, outcome.ack);
  }
}
