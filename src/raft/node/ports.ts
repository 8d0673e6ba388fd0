/**
 * What the replica driver needs from the world: durable log, peer network,
 * state machine. Production wires the WAL, the gRPC PeerTransport and the
 * LevelDB StateMachine; tests may wire fakes.
 */
import type { Entry, HardState, LogIndex, Message, NodeId, Snapshot, Term } from '../core/types.js';

export interface DurableLog {
  /** Entries (entry i replaces any stored entry at i and after) and hard state; resolves when durable. */
  append(entries: readonly Entry[], hardState: HardState | null): Promise<void>;
  /** Record a snapshot the log now continues from; older segments may be deleted. */
  saveSnapshot(snapshot: Snapshot): Promise<void>;
  readonly snapshotIndex: number;
}

export interface PeerNetwork {
  /** Non-blocking; messages may be lost (Raft tolerates it). */
  send(messages: readonly Message[]): void;
  /** Stream a state-machine snapshot to `message.to`; the Snap message carries its metadata. */
  sendSnapshot(message: Message, chunks: AsyncIterable<Uint8Array>): Promise<unknown>;
}

/** The part of the state machine the driver uses. */
export interface ApplyTarget<R> {
  /** Index of the last entry applied (its result known, though perhaps not yet stored). */
  readonly appliedIndex: LogIndex;
  /**
   * Applies committed entries: resolves with one result per entry once they
   * are final, and `stored`, which settles once they are in the state
   * machine's own store (rejecting on a storage failure). Calls never overlap;
   * the next may be made before `stored` settles (the state machine orders
   * its stores and bounds what it holds unstored).
   */
  applyBatch(entries: readonly Entry[]): Promise<{ readonly results: readonly R[]; readonly stored: Promise<void> }>;
}

export interface DriverLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface LeaderInfo {
  readonly leader: NodeId | null;
  readonly term: Term;
}
