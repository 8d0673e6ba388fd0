/**
 * What a replica driver needs from the simulated world around it: the clock,
 * the network, the scheduler, the safety checker and the clients.
 */
import type { NodeId } from '../src/raft/core/types.js';
import type { Frame } from './network.js';
import type { SafetyChecker } from './safety.js';
import type { Trace } from './trace.js';
import type { OpOutcome } from './workload.js';

/** What a disk write carries, as far as crash targeting cares. */
export type WriteKind = 'vote' | 'leader-append' | 'other';

export interface DriverHost {
  readonly trace: Trace;
  readonly safety: SafetyChecker;
  nowUnits(): number;
  send(from: number, to: number, frame: Frame): void;
  /**
   * The driver's disk I/O for its current batch completes at `atUnits`.
   * `what` says what the batch makes durable (crash storms aim at votes and
   * at a leader's new entries).
   */
  scheduleIoDone(atUnits: number, replica: number, incarnation: number, what: WriteKind): void;
  /** The replica's apply chain runs at `atUnits`. */
  scheduleApply(atUnits: number, replica: number, incarnation: number): void;
  scheduleSnapshotTimeout(atUnits: number, replica: number, incarnation: number, peer: NodeId, transferId: number): void;
  nextTransferId(): number;
  /** A client operation finished at `replica` (ignored if the client already gave up on it). */
  completeOp(opId: number, replica: number, outcome: OpOutcome): void;
  /** A liveness probe command was applied at `replica`. */
  probeApplied(replica: number, probeSeq: number): void;
  /** A liveness probe read was served at `replica`. */
  probeReadServed(replica: number, opId: number): void;
}
