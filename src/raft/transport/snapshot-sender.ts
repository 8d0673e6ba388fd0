/**
 * The client side of `SendSnapshot`: streams one snapshot to one peer.
 *
 * The first chunk carries only the header (the Snap message), so a large
 * ConfState never pushes a data chunk over the gRPC limit. The source (the
 * state machine's consistent iterator) yields byte pieces of any size; they
 * are cut into chunks of at most snapshotChunkBytes, each with its offset and
 * CRC-32C. One chunk is held back so the final one can carry `last` (an empty
 * source ends with one empty last chunk).
 * Each write waits for the previous one to complete (HTTP/2 flow control:
 * a slow receiver slows the source instead of filling memory).
 *
 * Limits: the call has a deadline of snapshotTimeoutMs; a write that does not
 * complete within snapshotIdleTimeoutMs cancels it; more than snapshotBytesMax
 * bytes from the source cancels it. The outcome is the receiver's ack, or a
 * named SnapshotTransferError subclass.
 */
import { crc32c } from '@node-rs/crc32';
import * as grpc from '@grpc/grpc-js';
import type { Message, NodeId } from '../core/types.js';
import type { SnapshotAck } from '../../gen/edgernetes/raft/v1/raft.js';
import type { TransportConfig } from './config.js';
import {
  SnapshotRejectedError,
  SnapshotSourceError,
  SnapshotStreamError,
  SnapshotTimeoutError,
  SnapshotTooLargeError,
  TransportStoppedError,
  type SnapshotTransferError,
} from './errors.js';
import type { FaultPoints } from './faults.js';
import { SEND_SNAPSHOT_PATH, callMetadata, decodeSnapshotAck, identityBytes } from './grpc-service.js';
import { reasonFromProto } from './snapshot-reasons.js';
import type { SnapshotSendResult } from './snapshot-types.js';
import { encodeSnapshotChunk } from './wire-encode.js';

const EMPTY = new Uint8Array(0);

export interface SnapshotSendArgs {
  readonly client: grpc.Client;
  readonly config: TransportConfig;
  readonly faults: FaultPoints;
  /** The Snap message from the core (metadata; its data is ignored). */
  readonly message: Message;
  readonly chunks: AsyncIterable<Uint8Array>;
  /** Aborted by the transport on stop or peer removal. */
  readonly signal: AbortSignal;
  /** Called with each chunk's data size once written. */
  onChunkWritten(bytes: number): void;
}

export class SnapshotUpload {
  private readonly peer: NodeId;
  private readonly call: grpc.ClientWritableStream<Buffer>;
  private readonly response: Promise<SnapshotAck>;
  private callDone = false;
  /** Resolves with 'ended' once the call completed or this side gave up. */
  private readonly ended: Promise<'ended'>;
  private signalEnded!: () => void;
  /** Why this side gave up before the receiver answered (first failure wins). */
  private localFailure: SnapshotTransferError | TransportStoppedError | null = null;
  private writeResolve: (() => void) | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  private offset = 0;
  private chunkCount = 0;
  private readonly startedAtMs = Date.now();

  constructor(private readonly args: SnapshotSendArgs) {
    this.peer = args.message.to;
    this.ended = new Promise((resolve) => (this.signalEnded = () => resolve('ended')));
    let settle!: (result: { ack: SnapshotAck } | { error: grpc.ServiceError }) => void;
    const settled = new Promise<{ ack: SnapshotAck } | { error: grpc.ServiceError }>((resolve) => (settle = resolve));
    this.call = args.client.makeClientStreamRequest<Buffer, SnapshotAck>(
      SEND_SNAPSHOT_PATH,
      identityBytes,
      decodeSnapshotAck,
      callMetadata(args.config, this.peer),
      { deadline: Date.now() + args.config.snapshotTimeoutMs },
      (error, ack) => {
        this.callDone = true;
        this.writeResolve?.();
        this.signalEnded();
        settle(error !== null ? { error } : { ack: ack! });
      },
    );
    this.response = settled.then((result) => this.interpret(result));
  }

  /** Streams everything and resolves with the receiver's acceptance, or rejects with a named error. */
  async run(): Promise<SnapshotSendResult> {
    const onAbort = (): void => this.giveUp(new TransportStoppedError('transport stopped during snapshot transfer'));
    this.args.signal.addEventListener('abort', onAbort, { once: true });
    try {
      await this.streamSource();
      if (!this.callDone && this.localFailure === null) this.call.end();
      const ack = await this.response;
      if (!ack.accepted) {
        throw new SnapshotRejectedError(this.peer, reasonFromProto(ack.rejectReason), ack.detail);
      }
      return { bytes: this.offset, chunks: this.chunkCount, durationMs: Date.now() - this.startedAtMs };
    } finally {
      this.args.signal.removeEventListener('abort', onAbort);
      clearTimeout(this.idleTimer ?? undefined);
    }
  }

  private async streamSource(): Promise<void> {
    await this.writeFrame(
      encodeSnapshotChunk({ header: this.args.message, offset: 0, data: EMPTY, crc32c: crc32c(EMPTY), last: false }),
    );
    const iterator = this.args.chunks[Symbol.asyncIterator]();
    const { snapshotChunkBytes } = this.args.config;
    let held: Uint8Array | null = null;
    for (let piece = await this.nextPiece(iterator); piece !== null; piece = await this.nextPiece(iterator)) {
      for (let start = 0; start < piece.length && !this.stopped(); start += snapshotChunkBytes) {
        if (held !== null) await this.writeChunk(held, false);
        held = piece.subarray(start, start + snapshotChunkBytes);
      }
    }
    if (this.stopped()) {
      // Fire-and-forget on purpose: a source stuck in next() would make an awaited return() hang.
      iterator.return?.().catch(() => {});
      return;
    }
    await this.writeChunk(held ?? EMPTY, true);
  }

  /**
   * The source's next piece, or null when it is exhausted or the transfer
   * ended meanwhile (deadline, receiver answer, stop), so a stalled source
   * cannot hold the transfer past its limits.
   */
  private async nextPiece(iterator: AsyncIterator<Uint8Array>): Promise<Uint8Array | null> {
    if (this.stopped()) return null;
    const next = iterator.next();
    next.catch(() => {}); // observed below, or abandoned if the transfer ended first
    try {
      const result = await Promise.race([next, this.ended]);
      return result === 'ended' || result.done === true ? null : result.value;
    } catch (err) {
      const detail = `snapshot source failed: ${(err as Error)?.message}`;
      this.giveUp(new SnapshotSourceError(this.peer, detail, { cause: err }));
      return null;
    }
  }

  private async writeChunk(data: Uint8Array, last: boolean): Promise<void> {
    if (this.offset + data.length > this.args.config.snapshotBytesMax) {
      this.giveUp(new SnapshotTooLargeError(this.peer, `snapshot exceeds ${this.args.config.snapshotBytesMax} bytes`));
      return;
    }
    if (await this.dropByFault()) {
      this.offset += data.length; // the receiver will see the gap
      return;
    }
    if (this.stopped()) return;
    const frame = encodeSnapshotChunk({
      header: null,
      offset: this.offset,
      data,
      crc32c: crc32c(data),
      last,
    });
    await this.writeFrame(frame);
    this.offset += data.length;
    this.chunkCount++;
    this.args.onChunkWritten(data.length);
  }

  private writeFrame(frame: Buffer): Promise<void> {
    const { snapshotIdleTimeoutMs } = this.args.config;
    this.idleTimer = setTimeout(
      () => this.giveUp(new SnapshotTimeoutError(this.peer, `a chunk write stalled for ${snapshotIdleTimeoutMs} ms`)),
      snapshotIdleTimeoutMs,
    );
    return new Promise<void>((resolve) => {
      this.writeResolve = resolve;
      this.call.write(frame, () => resolve());
    }).finally(() => {
      this.writeResolve = null;
      clearTimeout(this.idleTimer ?? undefined);
    });
  }

  /** Outbound fault points act per chunk: a dropped chunk leaves a gap the receiver rejects. */
  private async dropByFault(): Promise<boolean> {
    if (!this.args.faults.enabled) return false;
    const verdict = this.args.faults.verdict(this.peer, 'outbound');
    if (verdict === 'drop') {
      if (this.args.faults.rule(this.peer, 'outbound').blackhole) {
        this.giveUp(new SnapshotStreamError(this.peer, 'blackholed by fault injection'));
      }
      return true;
    }
    if (typeof verdict === 'number') await new Promise((resolve) => setTimeout(resolve, verdict));
    return false;
  }

  private stopped(): boolean {
    return this.callDone || this.localFailure !== null;
  }

  /** Fails the transfer locally (first failure wins) and cancels the call. */
  private giveUp(error: SnapshotTransferError | TransportStoppedError): void {
    if (this.localFailure !== null || this.callDone) return;
    this.localFailure = error;
    this.signalEnded();
    this.call.cancel();
  }

  private interpret(result: { ack: SnapshotAck } | { error: grpc.ServiceError }): SnapshotAck {
    if (this.localFailure !== null) throw this.localFailure;
    if ('ack' in result) return result.ack;
    const { error } = result;
    if (error.code === grpc.status.DEADLINE_EXCEEDED) {
      const detail = `transfer exceeded ${this.args.config.snapshotTimeoutMs} ms`;
      throw new SnapshotTimeoutError(this.peer, detail, { cause: error });
    }
    const detail = `snapshot stream to ${this.peer} failed: ${error.details}`;
    throw new SnapshotStreamError(this.peer, detail, { cause: error });
  }
}
