/**
 * Wire record → core Message, checking everything the core relies on.
 *
 * The core asserts its invariants (a failed assertion crashes the replica),
 * so nothing that could trip one may reach step(): a message is accepted only
 * if it has a known type, comes from the authenticated peer of its stream, is
 * addressed to this replica, and its fields are consistent for its type (App
 * entries contiguous after `index` with non-decreasing terms no newer than the
 * message's term; entries only on App/Prop; snapshot metadata only on Snap).
 * Any violation throws InboundRejectedError and the whole batch is rejected.
 */
import { MessageType, type Entry, type Message, type NodeId, type Snapshot } from '../core/types.js';
import { InboundRejectedError } from './errors.js';
import { entryTypeFromProto, messageTypeFromProto } from './message-types.js';
import type { WireEntry, WireMessage, WireSnapshotMetadata } from './wire-decode.js';

export interface ValidationContext {
  readonly selfId: NodeId;
  /** The authenticated sender of the stream the message arrived on. */
  readonly peer: NodeId;
  /** Snap is accepted only as the header of a snapshot transfer. */
  readonly allowSnap: boolean;
  readonly contextBytesMax: number;
  readonly nodeIdLengthMax: number;
}

const EMPTY: Uint8Array = new Uint8Array(0);

export function toCoreMessage(wire: WireMessage, ctx: ValidationContext): Message {
  const type = messageTypeFromProto(wire.type);
  if (type === null) throw invalid(`unknown message type ${wire.type}`);
  if (type === MessageType.Snap && !ctx.allowSnap) throw invalid('Snap outside a snapshot transfer');
  if (wire.from !== ctx.peer) {
    throw new InboundRejectedError('wrong-sender', `message from "${wire.from}" on the stream of ${ctx.peer}`);
  }
  if (wire.to !== ctx.selfId) {
    throw new InboundRejectedError('wrong-target', `message to "${wire.to}" delivered to ${ctx.selfId}`);
  }
  if (wire.context.length > ctx.contextBytesMax) {
    throw new InboundRejectedError('too-large', `context of ${wire.context.length} bytes`);
  }
  const entries = toCoreEntries(type, wire);
  const snapshot = toCoreSnapshot(type, wire, ctx);
  return {
    type,
    from: wire.from as NodeId,
    to: wire.to as NodeId,
    term: wire.term as Message['term'],
    index: wire.index as Message['index'],
    logTerm: wire.logTerm as Message['logTerm'],
    entries,
    commit: wire.commit as Message['commit'],
    reject: wire.reject,
    rejectHint: wire.rejectHint as Message['rejectHint'],
    rejectHintTerm: wire.rejectHintTerm as Message['rejectHintTerm'],
    context: wire.context,
    snapshot,
  };
}

function toCoreEntries(type: MessageType, wire: WireMessage): Entry[] {
  if (wire.entries.length === 0) return [];
  if (type !== MessageType.App && type !== MessageType.Prop) throw invalid(`${type} carries entries`);
  const entries = wire.entries.map(toCoreEntry);
  if (type === MessageType.App) checkAppendedRun(wire, entries);
  return entries;
}

function toCoreEntry(wire: WireEntry): Entry {
  const type = entryTypeFromProto(wire.type);
  if (type === null) throw invalid(`unknown entry type ${wire.type}`);
  return {
    term: wire.term as Entry['term'],
    index: wire.index as Entry['index'],
    type,
    data: wire.data,
  };
}

/** App entries must extend the log right after (index, logTerm), as a valid log would. */
function checkAppendedRun(wire: WireMessage, entries: readonly Entry[]): void {
  if (wire.logTerm > wire.term) throw invalid('App logTerm newer than its term');
  let previousTerm = wire.logTerm;
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i];
    if (entry.index !== wire.index + 1 + i) throw invalid(`App entry ${i} has index ${entry.index}`);
    if (entry.term < previousTerm || entry.term > wire.term) {
      throw invalid(`App entry ${entry.index} has term ${entry.term} out of order`);
    }
    previousTerm = entry.term;
  }
}

function toCoreSnapshot(type: MessageType, wire: WireMessage, ctx: ValidationContext): Snapshot | null {
  if (type !== MessageType.Snap) {
    if (wire.snapshot !== null) throw invalid(`${type} carries snapshot metadata`);
    return null;
  }
  if (wire.snapshot === null) throw invalid('Snap without snapshot metadata');
  const md = wire.snapshot;
  if (md.index < 1 || md.term < 1) throw invalid('Snap metadata at index or term 0');
  if (md.term > wire.term) throw invalid('Snap metadata term newer than the message term');
  checkConfState(md, ctx.nodeIdLengthMax);
  return {
    metadata: {
      index: md.index as Snapshot['metadata']['index'],
      term: md.term as Snapshot['metadata']['term'],
      confState: { voters: md.voters as NodeId[], learners: md.learners as NodeId[] },
    },
    data: EMPTY,
  };
}

function checkConfState(md: WireSnapshotMetadata, nodeIdLengthMax: number): void {
  if (md.voters.length === 0) throw invalid('Snap conf state without voters');
  const seen = new Set<string>();
  for (const id of [...md.voters, ...md.learners]) {
    if (id.length === 0 || id.length > nodeIdLengthMax) throw invalid('Snap conf state member id length');
    if (seen.has(id)) throw invalid(`Snap conf state lists ${id} twice`);
    seen.add(id);
  }
}

function invalid(detail: string): InboundRejectedError {
  return new InboundRejectedError('invalid-field', detail);
}
