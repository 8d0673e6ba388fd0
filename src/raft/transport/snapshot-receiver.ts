/**
 * The server side of `SendSnapshot`: one transfer per call.
 *
 * The first chunk carries the Snap message (validated like any message, with
 * snapshot metadata required). Every chunk must start at the number of bytes
 * received so far and match its CRC-32C; the total must stay within
 * snapshotBytesMax; the whole transfer within snapshotTimeoutMs, and no gap
 * between chunks may exceed snapshotIdleTimeoutMs. Chunks are written through
 * the driver's SnapshotSink one at a time (the call is read one message at a
 * time, so a slow sink applies backpressure to the sender). On the chunk
 * marked `last`: sink.finish(), then the Snap message is delivered (the
 * follower installs the data and steps its core), then the sender gets
 * `accepted` — or `sink-failed` if the delivery failed. The idle limit stops
 * at the last chunk; the install counts against snapshotTimeoutMs only. Any
 * failure aborts the sink's writer and answers with the reason; a newer
 * transfer from the same peer supersedes an older one.
 */
import { crc32c } from '@node-rs/crc32';
import type * as grpc from '@grpc/grpc-js';
import type { Message, NodeId } from '../core/types.js';
import { SnapshotAck, SnapshotRejectReason as ProtoReason } from '../../gen/edgernetes/raft/v1/raft.js';
import type { TransportConfig } from './config.js';
import { InboundRejectedError, TransportError, type SnapshotRejectReason } from './errors.js';
import type { FaultPoints } from './faults.js';
import { toCoreMessage } from './validate.js';
import { decodeSnapshotChunk, type WireSnapshotChunk } from './wire-decode.js';
import type { SnapshotSink, SnapshotWriter } from './snapshot-types.js';
import { reasonToProto } from './snapshot-reasons.js';
import { CallReader } from './call-reader.js';

type SnapshotCall = grpc.ServerReadableStream<Buffer, SnapshotAck>;

/** Why an inbound transfer failed; becomes the ack's reject reason. */
export class SnapshotReceiveError extends TransportError {
  constructor(
    readonly reason: SnapshotRejectReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface ReceiverDeps {
  readonly config: TransportConfig;
  readonly sink: SnapshotSink;
  readonly faults: FaultPoints;
  /** Hands the Snap message over (after the sink finished); the ack waits for it. */
  deliver(peer: NodeId, message: Message): Promise<void>;
}

export interface TransferOutcome {
  readonly ack: SnapshotAck;
  readonly error: SnapshotReceiveError | null;
}

export class InboundTransfer {
  private readonly reader: CallReader<Buffer>;
  private received = 0;
  private writer: SnapshotWriter | null = null;
  private failure: SnapshotReceiveError | null = null;
  private totalTimer: NodeJS.Timeout | null = null;
  private idleTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly peer: NodeId,
    call: SnapshotCall,
    private readonly deps: ReceiverDeps,
  ) {
    this.reader = new CallReader<Buffer>(call);
  }

  get receivedBytes(): number {
    return this.received;
  }

  /** Ends the transfer from outside (superseded, peer removed, stopping, call cancelled). */
  cancel(reason: SnapshotRejectReason, detail: string): void {
    this.fail(new SnapshotReceiveError(reason, detail));
  }

  /** Receives the whole transfer. Rejects only on a bug (an unexpected error). */
  async run(): Promise<TransferOutcome> {
    const { snapshotTimeoutMs } = this.deps.config;
    const onTimeout = (): void => this.cancel('timeout', `transfer exceeded ${snapshotTimeoutMs} ms`);
    this.totalTimer = setTimeout(onTimeout, snapshotTimeoutMs);
    this.touch();
    try {
      const message = await this.receiveAll();
      clearTimeout(this.idleTimer ?? undefined);
      await sinkCall(() => this.deps.deliver(this.peer, message));
      return { ack: this.ack(true, null), error: null };
    } catch (err) {
      const error = this.failure ?? classify(err);
      await this.abortWriter(error);
      return { ack: this.ack(false, error), error };
    } finally {
      clearTimeout(this.totalTimer);
      clearTimeout(this.idleTimer ?? undefined);
    }
  }

  private async receiveAll(): Promise<Message> {
    let header: Message | null = null;
    for (let frame = await this.reader.next(); frame !== null; frame = await this.reader.next()) {
      this.touch();
      const chunk = decodeSnapshotChunk(frame, this.deps.config);
      header = await this.acceptHeader(header, chunk);
      if (await this.dropByFault()) continue;
      this.verify(chunk);
      const writer = this.writer!;
      if (chunk.data.length > 0) await sinkCall(() => writer.writeChunk(chunk.data, chunk.offset));
      this.throwIfFailed();
      this.received += chunk.data.length;
      if (chunk.last) {
        await sinkCall(() => writer.finish(this.received));
        this.writer = null; // durable now: a cancel arriving during finish() no longer undoes it
        return header;
      }
    }
    this.throwIfFailed();
    throw new SnapshotReceiveError('incomplete', `stream ended after ${this.received} bytes without the last chunk`);
  }

  /** The first chunk must carry the header and opens the sink; later ones must not. */
  private async acceptHeader(header: Message | null, chunk: WireSnapshotChunk): Promise<Message> {
    if (header !== null) {
      if (chunk.header !== null) throw new SnapshotReceiveError('invalid', 'header repeated after the first chunk');
      return header;
    }
    if (chunk.header === null) throw new SnapshotReceiveError('invalid', 'first chunk without header');
    const message = toCoreMessage(chunk.header, {
      selfId: this.deps.config.selfId,
      peer: this.peer,
      allowSnap: true,
      contextBytesMax: this.deps.config.contextBytesMax,
      nodeIdLengthMax: this.deps.config.nodeIdLengthMax,
    });
    if (message.snapshot === null) throw new SnapshotReceiveError('invalid', `header is ${message.type}, not Snap`);
    const { sink } = this.deps;
    const metadata = message.snapshot.metadata;
    this.writer = await sinkCall(() => sink.begin({ from: this.peer, term: message.term, metadata }));
    this.throwIfFailed();
    return message;
  }

  private verify(chunk: WireSnapshotChunk): void {
    if (chunk.offset !== this.received) {
      throw new SnapshotReceiveError('offset', `chunk at offset ${chunk.offset}, expected ${this.received}`);
    }
    if (crc32c(chunk.data) !== chunk.crc32c) {
      throw new SnapshotReceiveError('checksum', `CRC-32C mismatch in chunk at offset ${chunk.offset}`);
    }
    if (this.received + chunk.data.length > this.deps.config.snapshotBytesMax) {
      throw new SnapshotReceiveError('too-large', `snapshot exceeds ${this.deps.config.snapshotBytesMax} bytes`);
    }
  }

  /** Inbound fault points act per chunk: a dropped chunk makes the next offset check fail. */
  private async dropByFault(): Promise<boolean> {
    if (!this.deps.faults.enabled) return false;
    const verdict = this.deps.faults.verdict(this.peer, 'inbound');
    if (verdict === 'drop') {
      if (this.deps.faults.rule(this.peer, 'inbound').blackhole) {
        throw new SnapshotReceiveError('unavailable', 'blackholed by fault injection');
      }
      return true;
    }
    if (typeof verdict === 'number') await new Promise((resolve) => setTimeout(resolve, verdict));
    return false;
  }

  private touch(): void {
    clearTimeout(this.idleTimer ?? undefined);
    const { snapshotIdleTimeoutMs } = this.deps.config;
    this.idleTimer = setTimeout(
      () => this.cancel('timeout', `no chunk for ${snapshotIdleTimeoutMs} ms`),
      snapshotIdleTimeoutMs,
    );
  }

  /** Records the first failure and unblocks the reading loop. */
  private fail(error: SnapshotReceiveError): void {
    if (this.failure !== null) return;
    this.failure = error;
    this.reader.abort(error);
  }

  private throwIfFailed(): void {
    if (this.failure !== null) throw this.failure;
  }

  private async abortWriter(error: SnapshotReceiveError): Promise<void> {
    const writer = this.writer;
    this.writer = null;
    if (writer === null) return;
    try {
      await writer.abort(error);
    } catch {
      // The transfer has already failed; an abort that fails leaves only garbage for the sink to collect.
    }
  }

  private ack(accepted: boolean, error: SnapshotReceiveError | null): SnapshotAck {
    return {
      accepted,
      receivedBytes: this.received,
      rejectReason: error === null ? ProtoReason.SNAPSHOT_REJECT_REASON_UNSPECIFIED : reasonToProto(error.reason),
      detail: error?.message ?? '',
    };
  }
}

/** Expected failures become a reject reason; anything else is a bug and propagates. */
function classify(err: unknown): SnapshotReceiveError {
  if (err instanceof SnapshotReceiveError) return err;
  if (err instanceof InboundRejectedError) {
    const reason = err.reason === 'too-large' ? 'too-large' : 'invalid';
    return new SnapshotReceiveError(reason, err.message, { cause: err });
  }
  throw err;
}

/** Runs a call into the driver's sink; its failure is an expected 'sink-failed'. */
async function sinkCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw new SnapshotReceiveError('sink-failed', `snapshot sink failed: ${(err as Error)?.message}`, { cause: err });
  }
}
