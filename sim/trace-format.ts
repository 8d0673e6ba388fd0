/**
 * Event kinds of the simulation trace and how each one reads in a report.
 * Fields are positional numbers (see each kind's comment) so that recording
 * allocates nothing; node and peer are replica numbers (n3 = 3, 0 = none).
 */
import { MessageType, Role } from '../src/raft/core/types.js';
import type { TraceEventView } from './trace.js';

export enum TraceKind {
  /** node=to, peer=from, a=message code, b=term, c=index, d=entries, e=commit. */
  Deliver = 1,
  /** node=from, peer=to, a=message code, b=drop reason code. */
  Drop,
  /** node=from, peer=to, a=message code. */
  Duplicate,
  /** node, a=role code, b=term, c=leader. */
  Role,
  /** node, a=first entry index (0 = none), b=last entry index, c=term, d=vote, e=commit. */
  Persist,
  /** node, a=first applied index, b=last applied index. */
  Apply,
  /** node, a=snapshot index, b=entries retained. */
  SnapshotTaken,
  /** node, a=snapshot index, b=snapshot term. */
  SnapshotInstalled,
  /** node=sender, peer=receiver, a=snapshot index, b=chunks, c=transfer id. */
  SnapshotSend,
  /** node=receiver, peer=sender, a=snapshot index, b=transfer id. */
  SnapshotAssembled,
  /** node=sender, peer=receiver, a=transfer id: reportSnapshot(peer, 'finished'). */
  SnapshotFinished,
  /** node=sender, peer=receiver, a=transfer id: reportSnapshot(peer, 'failed'). */
  SnapshotFailed,
  /** node told that its connection to peer broke. */
  Unreachable,
  /** node, a=unsynced records, b=records that survived, c=1 if a torn tail was cut. */
  Crash,
  /** node, a=term, b=commit, c=last index, d=applied index, e=snapshot index. */
  Restart,
  /** node. */
  Pause,
  /** node, a=queued events delivered on resume. */
  Resume,
  /** text=the shape. */
  Partition,
  Heal,
  /** a=drop per mille, b=duplicate per mille, c=max delay units. */
  NetworkMode,
  /** node=replica, peer=process, text=operation. */
  ClientInvoke,
  /** node=replica, peer=process, a=completion code, text=operation and outcome. */
  ClientComplete,
  /** node=proposer, peer=target, a=change type, text=outcome. */
  ConfChange,
  /** node=leader, peer=transferee. */
  Transfer,
  /** node, a=tick period in units. */
  Skew,
  /** node stopped for good after its removal. */
  Decommission,
  /** text=what. */
  Phase,
  /** text=the violation. */
  Violation,
}

const MESSAGE_TYPES: readonly MessageType[] = Object.values(MessageType);
/** Code of the simulator's own snapshot chunk and acknowledgement frames (not core messages). */
export const SNAP_CHUNK_CODE = MESSAGE_TYPES.length + 1;
export const SNAP_ACK_CODE = MESSAGE_TYPES.length + 2;

export function messageCode(type: MessageType): number {
  return MESSAGE_TYPES.indexOf(type) + 1;
}

function messageName(code: number): string {
  if (code === SNAP_CHUNK_CODE) return 'SnapChunk';
  if (code === SNAP_ACK_CODE) return 'SnapAck';
  return MESSAGE_TYPES[code - 1] ?? `msg#${code}`;
}

const ROLES: readonly Role[] = Object.values(Role);
export function roleCode(role: Role): number {
  return ROLES.indexOf(role) + 1;
}

export enum DropReason {
  Random = 1,
  Partitioned,
  SenderDown,
  ReceiverDown,
  StaleIncarnation,
  InboxFull,
}

const node = (n: number): string => (n === 0 ? '-' : `n${n}`);

export function formatTraceEvent(e: TraceEventView, unitsPerTick: number): string {
  const time = `t=${(e.timeUnits / unitsPerTick).toFixed(1).padStart(7)}`;
  return `${time}  ${describe(e)}`;
}

function describe(e: TraceEventView): string {
  switch (e.kind) {
    case TraceKind.Deliver:
      return `${node(e.peer)} -> ${node(e.node)} ${messageName(e.a)} term=${e.b} index=${e.c} entries=${e.d} commit=${e.e}`;
    case TraceKind.Drop:
      return `${node(e.node)} -> ${node(e.peer)} ${messageName(e.a)} DROPPED (${DropReason[e.b] ?? e.b})`;
    case TraceKind.Duplicate:
      return `${node(e.node)} -> ${node(e.peer)} ${messageName(e.a)} duplicated`;
    case TraceKind.Role:
      return `${node(e.node)} is ${ROLES[e.a - 1] ?? e.a} term=${e.b} leader=${node(e.c)}`;
    case TraceKind.Persist:
      return `${node(e.node)} persist entries=[${e.a}..${e.b}] term=${e.c} vote=${node(e.d)} commit=${e.e}`;
    case TraceKind.Apply:
      return `${node(e.node)} apply [${e.a}..${e.b}]`;
    case TraceKind.SnapshotTaken:
      return `${node(e.node)} snapshot at ${e.a}, compact keeping ${e.b} entries`;
    case TraceKind.SnapshotInstalled:
      return `${node(e.node)} install snapshot index=${e.a} term=${e.b}`;
    case TraceKind.SnapshotSend:
      return `${node(e.node)} -> ${node(e.peer)} snapshot index=${e.a} in ${e.b} chunks (transfer ${e.c})`;
    case TraceKind.SnapshotAssembled:
      return `${node(e.node)} assembled snapshot index=${e.a} from ${node(e.peer)} (transfer ${e.b})`;
    case TraceKind.SnapshotFinished:
      return `${node(e.node)} reportSnapshot(${node(e.peer)}, finished) (transfer ${e.a})`;
    case TraceKind.SnapshotFailed:
      return `${node(e.node)} reportSnapshot(${node(e.peer)}, failed) (transfer ${e.a})`;
    case TraceKind.Unreachable:
      return `${node(e.node)} reportUnreachable(${node(e.peer)})`;
    case TraceKind.Crash:
      return `${node(e.node)} CRASH: ${e.a} unsynced records, ${e.b} survived${e.c === 1 ? ', torn tail cut' : ''}`;
    case TraceKind.Restart:
      return `${node(e.node)} RESTART term=${e.a} commit=${e.b} last=${e.c} applied=${e.d} snapshot=${e.e}`;
    case TraceKind.Pause:
      return `${node(e.node)} PAUSED`;
    case TraceKind.Resume:
      return `${node(e.node)} resumed with ${e.a} queued events`;
    case TraceKind.Partition:
      return `PARTITION ${e.text}`;
    case TraceKind.Heal:
      return 'HEAL network';
    case TraceKind.NetworkMode:
      return `network: drop=${e.a / 10}% duplicate=${e.b / 10}% maxDelay=${e.c}u`;
    case TraceKind.ClientInvoke:
      return `client p${e.peer} -> ${node(e.node)} invoke ${e.text}`;
    case TraceKind.ClientComplete:
      return `client p${e.peer} <- ${node(e.node)} ${e.text}`;
    case TraceKind.ConfChange:
      return `${node(e.node)} conf change on ${node(e.peer)}: ${e.text}`;
    case TraceKind.Transfer:
      return `${node(e.node)} transferLeadership(${node(e.peer)})`;
    case TraceKind.Skew:
      return `${node(e.node)} ticks every ${e.a} units`;
    case TraceKind.Decommission:
      return `${node(e.node)} decommissioned`;
    case TraceKind.Phase:
      return `--- ${e.text}`;
    case TraceKind.Violation:
      return `VIOLATION ${e.text}`;
    default:
      return `event ${e.kind}`;
  }
}
