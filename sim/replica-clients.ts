/**
 * The client side of one replica: commands proposed here wait until this
 * replica applies them (then the client gets the result); reads wait for
 * their read index and then for this replica to apply up to it. Both are
 * bounded by `pendingOpsMax`. A crash answers every waiting write with info
 * (its outcome is unknown) and every waiting read with fail (no effect).
 */
import type { RaftCore } from '../src/raft/core/api.js';
import type { ReadState } from '../src/raft/core/types.js';
import { isExpectedCoreError } from './core-module.js';
import type { DriverHost } from './driver-host.js';
import { CommandOp, encodeCommand, encodeReadContext, type Command } from './kv-codec.js';
import type { KvStateMachine } from './kv.js';
import { ReadTracker } from './read-tracker.js';
import { PROBE_PROCESS, type ClientRequest } from './workload.js';

/** What the clients need from their replica's driver. */
export interface ClientsReplica {
  readonly replica: number;
  readonly sm: KvStateMachine;
  coreFailed(what: string, error: unknown): never;
}

/** Session key of a command: (process, seq) packed into one safe integer. */
function sessionKey(process: number, seq: number): number {
  return process * 0x1000000 + seq;
}

export class ReplicaClients {
  /** Client commands proposed here, by session key, waiting to be applied here. */
  private readonly proposals = new Map<number, ClientRequest>();
  private readonly reads: ReadTracker;

  constructor(
    private readonly owner: ClientsReplica,
    private readonly host: DriverHost,
    private readonly pendingOpsMax: number,
  ) {
    this.reads = new ReadTracker(pendingOpsMax);
  }

  /** A client's write or cas arrives: propose it (the client waits for it to be applied here). */
  propose(core: RaftCore, request: ClientRequest): void {
    if (this.proposals.size >= this.pendingOpsMax) return this.fail(request, 'overloaded');
    const op = request.f === 'write' ? CommandOp.Write : CommandOp.Cas;
    const { process, seq, key, value, expected } = request;
    const refusal = this.proposeData(core, encodeCommand({ op, process, seq, key, value, expected }));
    if (refusal === null) this.proposals.set(sessionKey(process, seq), request);
    else this.fail(request, refusal);
  }

  /** Proposes a liveness probe (no effect on the registers); false if the core refused it. */
  proposeProbe(core: RaftCore, probeSeq: number): boolean {
    const probe: Command = { op: CommandOp.Probe, process: PROBE_PROCESS, seq: probeSeq, key: 0, value: 0, expected: 0 };
    return this.proposeData(core, encodeCommand(probe)) === null;
  }

  /** Null when accepted, else the core's refusal (an expected error's message). */
  private proposeData(core: RaftCore, data: Uint8Array): string | null {
    try {
      core.propose(data);
      return null;
    } catch (error) {
      if (isExpectedCoreError(error)) return error.message;
      this.owner.coreFailed('propose', error);
    }
  }

  /** A client's read arrives: ask the core for a read index. */
  read(core: RaftCore, request: ClientRequest): void {
    if (!this.reads.canAccept()) return this.fail(request, 'overloaded');
    try {
      core.readIndex(encodeReadContext(request.opId));
      this.reads.requested(request);
    } catch (error) {
      if (!isExpectedCoreError(error)) this.owner.coreFailed('readIndex', error);
      this.fail(request, error.message);
    }
  }

  /** The command (process, seq) was applied here with `result`: answer its client if it waits here. */
  applied(process: number, seq: number, result: boolean): void {
    const key = sessionKey(process, seq);
    const request = this.proposals.get(key);
    if (request === undefined) return;
    this.proposals.delete(key);
    this.host.completeOp(request.opId, this.owner.replica, { kind: 'ok', result, readValue: null });
  }

  /** After a batch: serve reads whose index is now applied, then take the batch's new read indexes. */
  afterApply(readStates: readonly ReadState[]): void {
    const sm = this.owner.sm;
    this.reads.applied(sm, this.answerRead);
    for (const rs of readStates) this.reads.indexKnown(rs, sm, this.answerRead);
  }

  private readonly answerRead = (request: ClientRequest, value: number | null): void => {
    if (request.process === PROBE_PROCESS) this.host.probeReadServed(this.owner.replica, request.opId);
    else this.host.completeOp(request.opId, this.owner.replica, { kind: 'ok', result: true, readValue: value });
  };

  fail(request: ClientRequest, reason: string): void {
    this.host.completeOp(request.opId, this.owner.replica, { kind: 'fail', reason });
  }

  /** The replica went down (`why`): writes waiting here end as info, reads as fail. */
  clear(why: string): void {
    for (const request of this.proposals.values()) this.host.completeOp(request.opId, this.owner.replica, { kind: 'info', reason: why });
    this.proposals.clear();
    for (const opId of this.reads.clear()) this.host.completeOp(opId, this.owner.replica, { kind: 'fail', reason: why });
  }
}
