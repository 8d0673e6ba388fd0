/**
 * The clients: a key-value workload of reads, writes and compare-and-sets on a
 * few registers, each client with at most one operation outstanding, sent to
 * a random replica. Every operation is recorded Jepsen-style for the
 * linearizability checker:
 *
 *  - invoke when sent;
 *  - ok when the replica answers (a write/cas once applied there, a read once
 *    served at its read index);
 *  - fail when it certainly had no effect (the replica refused the proposal,
 *    the replica was down, or it was a read that got no answer);
 *  - info when a write's outcome is unknown (the replica crashed or the client
 *    timed out after the proposal was accepted). The client then continues as
 *    a NEW process, because an indeterminate operation stays open forever.
 *
 * Write values are unique, so the checker can tell every write apart.
 */
import type { HistoryEvent, OpFunction, Value } from '../src/check/types.js';
import { ABSENT, KEY_NAMES } from './kv-codec.js';
import type { SimRandom } from './random.js';
import { TraceKind } from './trace-format.js';
import type { Trace } from './trace.js';

export interface ClientRequest {
  readonly opId: number;
  /** Client session; 0 is reserved for the simulator's own liveness probes. */
  readonly process: number;
  readonly seq: number;
  readonly f: OpFunction;
  readonly key: number;
  /** write: the value; cas: the new value. */
  readonly value: number;
  /** cas: the expected value (ABSENT = null). */
  readonly expected: number;
}

export type OpOutcome =
  | { readonly kind: 'ok'; readonly result: boolean; readonly readValue: number | null }
  | { readonly kind: 'fail'; readonly reason: string }
  | { readonly kind: 'info'; readonly reason: string };

export const PROBE_PROCESS = 0;

export interface WorkloadParams {
  readonly clientCount: number;
  /** Chance per step that an idle client invokes a new operation. */
  readonly invokeProbability: number;
  /** A client gives up on an operation after this long (write/cas: info; read: fail). */
  readonly opTimeoutUnits: number;
}

interface Pending {
  readonly request: ClientRequest;
  readonly replica: number;
  readonly deadlineUnits: number;
}

interface Client {
  process: number;
  seq: number;
  pending: Pending | null;
  /** The replica that last answered ok; clients mostly stay with it, like a client holding a connection. */
  preferred: number;
}

/** Chance that a client sends to its preferred replica rather than a random one. */
const STICKY_PROBABILITY = 0.7;

const toValue = (v: number): Value => (v === ABSENT ? null : v);

export class Workload {
  readonly history: HistoryEvent[] = [];
  private readonly clients: Client[] = [];
  private readonly byOpId = new Map<number, Client>();
  private nextProcess = 1;
  private nextOpId = 1;
  private nextValue = 1;
  private readonly lastWritten: number[] = KEY_NAMES.map(() => ABSENT);
  counts = { ok: 0, fail: 0, info: 0 };

  constructor(
    private readonly random: SimRandom,
    private readonly trace: Trace,
    private readonly params: WorkloadParams,
  ) {
    for (let k = 0; k < params.clientCount; k++) this.clients.push({ process: this.nextProcess++, seq: 0, pending: null, preferred: 0 });
  }

  get pendingCount(): number {
    return this.byOpId.size;
  }

  /** New operations this step, each with the replica it is sent to. */
  invoke(nowUnits: number, replicas: readonly number[]): Array<{ replica: number; request: ClientRequest }> {
    const out: Array<{ replica: number; request: ClientRequest }> = [];
    if (replicas.length === 0) return out;
    for (const client of this.clients) {
      if (client.pending !== null || !this.random.chance(this.params.invokeProbability)) continue;
      const request = this.nextRequest(client);
      const sticky = replicas.includes(client.preferred) && this.random.chance(STICKY_PROBABILITY);
      const replica = sticky ? client.preferred : this.random.pick(replicas);
      client.pending = { request, replica, deadlineUnits: nowUnits + this.params.opTimeoutUnits };
      this.byOpId.set(request.opId, client);
      this.history.push(invokeEvent(request));
      this.trace.record(nowUnits, TraceKind.ClientInvoke, replica, client.process, 0, 0, 0, 0, 0, describe(request));
      out.push({ replica, request });
    }
    return out;
  }

  private nextRequest(client: Client): ClientRequest {
    client.seq++;
    const key = this.random.below(KEY_NAMES.length);
    const roll = this.random.below(100);
    const opId = this.nextOpId++;
    const { process, seq } = client;
    if (roll < 45) return { opId, process, seq, key, f: 'read', value: ABSENT, expected: ABSENT };
    const value = this.nextValue++;
    if (roll < 80) {
      this.lastWritten[key] = value;
      return { opId, process, seq, key, f: 'write', value, expected: ABSENT };
    }
    const expectedRoll = this.random.below(10);
    const expected =
      expectedRoll < 6 ? this.lastWritten[key]! : expectedRoll < 8 ? ABSENT : this.random.between(1, Math.max(1, value - 1));
    return { opId, process, seq, key, f: 'cas', value, expected };
  }

  complete(opId: number, replica: number, outcome: OpOutcome, nowUnits: number): void {
    const client = this.byOpId.get(opId);
    if (client === undefined || client.pending === null) return;
    const { request } = client.pending;
    this.byOpId.delete(opId);
    client.pending = null;
    // A read that got no answer had no effect: fail, not info.
    const kind = outcome.kind === 'info' && request.f === 'read' ? 'fail' : outcome.kind;
    this.counts[kind]++;
    this.history.push(completionEvent(request, kind, outcome));
    const detail = outcome.kind === 'ok' ? okText(request, outcome) : `(${outcome.reason})`;
    const text = `${describe(request)} -> ${kind} ${detail}`;
    this.trace.record(nowUnits, TraceKind.ClientComplete, replica, request.process, 0, 0, 0, 0, 0, text);
    client.preferred = kind === 'ok' ? replica : 0;
    if (kind === 'info') client.process = this.nextProcess++;
  }

  /** Operations past their deadline end: writes as info (unknown outcome), reads as fail. */
  expire(nowUnits: number): void {
    for (const client of this.clients) {
      const p = client.pending;
      if (p !== null && p.deadlineUnits <= nowUnits) this.complete(p.request.opId, p.replica, { kind: 'info', reason: 'client timeout' }, nowUnits);
    }
  }

}

function invokeEvent(r: ClientRequest): HistoryEvent {
  return { process: r.process, type: 'invoke', f: r.f, key: KEY_NAMES[r.key]!, value: requestValue(r) };
}

function requestValue(r: ClientRequest): Value | readonly [Value, Value] {
  switch (r.f) {
    case 'read':
      return null;
    case 'write':
      return r.value;
    case 'cas':
      return [toValue(r.expected), r.value];
  }
}

function completionEvent(r: ClientRequest, kind: 'ok' | 'fail' | 'info', outcome: OpOutcome): HistoryEvent {
  const key = KEY_NAMES[r.key]!;
  if (kind !== 'ok' || outcome.kind !== 'ok') return { process: r.process, type: kind, f: r.f, key, value: requestValue(r) };
  if (r.f === 'read') return { process: r.process, type: 'ok', f: 'read', key, value: outcome.readValue };
  if (r.f === 'cas') return { process: r.process, type: 'ok', f: 'cas', key, value: requestValue(r), result: outcome.result };
  return { process: r.process, type: 'ok', f: 'write', key, value: r.value };
}

function describe(r: ClientRequest): string {
  const key = KEY_NAMES[r.key]!;
  switch (r.f) {
    case 'read':
      return `read ${key}`;
    case 'write':
      return `write ${key}=${r.value}`;
    case 'cas':
      return `cas ${key} ${toValue(r.expected)}->${r.value}`;
  }
}

function okText(r: ClientRequest, outcome: { readonly result: boolean; readonly readValue: number | null }): string {
  if (r.f === 'read') return String(outcome.readValue);
  if (r.f === 'cas') return String(outcome.result);
  return '';
}
