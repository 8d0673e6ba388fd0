/**
 * Snapshots travel between replicas in CHUNKS, as the production transport
 * streams them: the core's Snap message carries only metadata; the sender's
 * driver cuts the state-machine bytes into chunks that cross the simulated
 * network one by one (each may be lost, delayed or reordered). The receiver
 * assembles them and only then steps the Snap message (with its data) into
 * its core, and acknowledges.
 *
 * The sender reports the outcome to its core: 'finished' when the
 * acknowledgement arrives; 'failed' when it does not come within the transfer
 * timeout or the connection to the receiver breaks. The core retries later.
 */
import type { Message, NodeId } from '../src/raft/core/types.js';
import { simAssert } from './errors.js';

export interface SnapshotChunk {
  readonly transferId: number;
  /** The core's Snap message (metadata only). */
  readonly message: Message;
  readonly chunkIndex: number;
  readonly chunkCount: number;
  readonly bytes: Uint8Array;
}

export interface SnapshotAck {
  readonly transferId: number;
}

export function cutIntoChunks(transferId: number, message: Message, data: Uint8Array, chunkBytes: number): SnapshotChunk[] {
  simAssert(chunkBytes > 0, 'chunk size is positive');
  const chunkCount = Math.max(1, Math.ceil(data.length / chunkBytes));
  const chunks: SnapshotChunk[] = [];
  for (let k = 0; k < chunkCount; k++) {
    const bytes = data.subarray(k * chunkBytes, Math.min(data.length, (k + 1) * chunkBytes));
    chunks.push({ transferId, message, chunkIndex: k, chunkCount, bytes });
  }
  return chunks;
}

/** The sender's side: at most one transfer outstanding per peer. */
export class SnapshotSends {
  private readonly outstanding = new Map<NodeId, number>();

  /** Starts a transfer; one still outstanding to the same peer is superseded (its outcome is ignored). */
  start(peer: NodeId, transferId: number): void {
    this.outstanding.set(peer, transferId);
  }

  /** Ends the transfer if it is the outstanding one to `peer`; true when it was. */
  finish(peer: NodeId, transferId: number): boolean {
    if (this.outstanding.get(peer) !== transferId) return false;
    this.outstanding.delete(peer);
    return true;
  }

  /** The outstanding transfer to `peer`, if any. */
  outstandingTo(peer: NodeId): number | undefined {
    return this.outstanding.get(peer);
  }

  clear(): void {
    this.outstanding.clear();
  }
}

interface PartialTransfer {
  readonly from: number;
  readonly transferId: number;
  readonly parts: (Uint8Array | undefined)[];
  received: number;
}

export interface AssembledSnapshot {
  readonly from: number;
  readonly transferId: number;
  readonly message: Message;
}

/** The receiver's side: assembles chunks; keeps at most `partialMax` transfers open (oldest evicted). */
export class SnapshotAssembler {
  private partial: PartialTransfer[] = [];

  constructor(private readonly partialMax: number) {}

  /** Adds a chunk; returns the Snap message with its full data once every chunk has arrived. */
  add(from: number, chunk: SnapshotChunk): AssembledSnapshot | null {
    let t = this.partial.find((p) => p.from === from && p.transferId === chunk.transferId);
    if (t === undefined) {
      t = { from, transferId: chunk.transferId, parts: new Array(chunk.chunkCount).fill(undefined), received: 0 };
      this.partial.push(t);
      if (this.partial.length > this.partialMax) this.partial.shift();
    }
    if (t.parts[chunk.chunkIndex] !== undefined) return null;
    t.parts[chunk.chunkIndex] = chunk.bytes;
    t.received++;
    if (t.received < t.parts.length) return null;
    this.partial = this.partial.filter((p) => p !== t);
    const data = concat(t.parts as Uint8Array[]);
    const snapshot = chunk.message.snapshot;
    simAssert(snapshot !== null, 'a Snap message carries snapshot metadata');
    return { from, transferId: chunk.transferId, message: { ...chunk.message, snapshot: { metadata: snapshot.metadata, data } } };
  }

  clear(): void {
    this.partial = [];
  }
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
