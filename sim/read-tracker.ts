/**
 * A replica's linearizable reads in flight: first waiting for the core's
 * ReadState (the read index, matched by context), then for the local state
 * machine to apply up to that index. Bounded by `pendingMax`.
 */
import type { ReadState } from '../src/raft/core/types.js';
import { decodeReadContext } from './kv-codec.js';
import type { KvStateMachine } from './kv.js';
import type { ClientRequest } from './workload.js';

export type ReadAnswer = (request: ClientRequest, value: number | null) => void;

export class ReadTracker {
  private readonly awaitingIndex = new Map<number, ClientRequest>();
  private awaitingApply: Array<{ readonly request: ClientRequest; readonly index: number }> = [];

  constructor(private readonly pendingMax: number) {}

  canAccept(): boolean {
    return this.awaitingIndex.size + this.awaitingApply.length < this.pendingMax;
  }

  requested(request: ClientRequest): void {
    this.awaitingIndex.set(request.opId, request);
  }

  /** The core answered a read with its read index. */
  indexKnown(rs: ReadState, sm: KvStateMachine, answer: ReadAnswer): void {
    const opId = decodeReadContext(rs.context);
    if (opId === null) return;
    const request = this.awaitingIndex.get(opId);
    if (request === undefined) return;
    this.awaitingIndex.delete(opId);
    if (rs.index <= sm.appliedIndex) answer(request, sm.read(request.key));
    else this.awaitingApply.push({ request, index: rs.index });
  }

  /** The state machine advanced: answer every read whose index it reached. */
  applied(sm: KvStateMachine, answer: ReadAnswer): void {
    if (this.awaitingApply.length === 0) return;
    const still: typeof this.awaitingApply = [];
    for (const w of this.awaitingApply) {
      if (w.index <= sm.appliedIndex) answer(w.request, sm.read(w.request.key));
      else still.push(w);
    }
    this.awaitingApply = still;
  }

  /** Forgets everything (crash); returns the operation ids that were waiting. */
  clear(): number[] {
    const ids = [...this.awaitingIndex.keys(), ...this.awaitingApply.map((w) => w.request.opId)];
    this.awaitingIndex.clear();
    this.awaitingApply = [];
    return ids;
  }
}
