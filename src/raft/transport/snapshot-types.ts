/**
 * The receiving side of snapshot transfers, implemented by the driver (it
 * writes into the state machine's restore area), and what a sender learns.
 *
 * Order for one transfer: begin() once; writeChunk() for every non-empty
 * chunk, in offset order, one at a time (the next call waits for the previous
 * promise); then finish() — or abort() if the transfer failed before finish()
 * resolved (a rejected finish() included). Calls on one writer never overlap;
 * abort() never follows a resolved finish() and is made at most once.
 * After finish() resolves, the transport hands the Snap message (metadata,
 * empty data) to onSnapshot — the driver installs what the sink received,
 * then steps its core — and acknowledges the sender once that settles. A
 * rejected promise from the sink (or from onSnapshot) fails the transfer (the
 * sender sees SnapshotRejectedError 'sink-failed').
 */
import type { NodeId, SnapshotMetadata, Term } from '../core/types.js';

export interface IncomingSnapshot {
  readonly from: NodeId;
  /** Term of the sending leader. */
  readonly term: Term;
  readonly metadata: SnapshotMetadata;
}

export interface SnapshotWriter {
  /**
   * Stores `data` at byte `offset`; offset equals the bytes written so far.
   * `data` is a view into a received buffer that the transport never reuses,
   * so it may be kept without copying.
   */
  writeChunk(data: Uint8Array, offset: number): Promise<void>;
  /** Every byte arrived and was verified (offsets, CRC-32C): make the snapshot durable. */
  finish(totalBytes: number): Promise<void>;
  /** The transfer failed or was superseded: discard what was written. */
  abort(reason: Error): Promise<void>;
}

export interface SnapshotSink {
  /** A peer starts a transfer. Concurrent transfers (from different peers) get separate writers. */
  begin(snapshot: IncomingSnapshot): Promise<SnapshotWriter>;
}

export interface SnapshotSendResult {
  readonly bytes: number;
  readonly chunks: number;
  readonly durationMs: number;
}
