/**
 * The one mapping between the core's MessageType/EntryType and their protobuf
 * enum values, plus which message types the outbound queue may shed first.
 */
import { EntryType, MessageType } from '../core/types.js';
import {
  EntryType as ProtoEntryType,
  MessageType as ProtoMessageType,
} from '../../gen/edgernetes/raft/v1/raft.js';

const MESSAGE_TYPE_PAIRS: ReadonlyArray<readonly [MessageType, ProtoMessageType]> = [
  [MessageType.App, ProtoMessageType.MESSAGE_TYPE_APP],
  [MessageType.AppResp, ProtoMessageType.MESSAGE_TYPE_APP_RESP],
  [MessageType.PreVote, ProtoMessageType.MESSAGE_TYPE_PRE_VOTE],
  [MessageType.PreVoteResp, ProtoMessageType.MESSAGE_TYPE_PRE_VOTE_RESP],
  [MessageType.Vote, ProtoMessageType.MESSAGE_TYPE_VOTE],
  [MessageType.VoteResp, ProtoMessageType.MESSAGE_TYPE_VOTE_RESP],
  [MessageType.Heartbeat, ProtoMessageType.MESSAGE_TYPE_HEARTBEAT],
  [MessageType.HeartbeatResp, ProtoMessageType.MESSAGE_TYPE_HEARTBEAT_RESP],
  [MessageType.Snap, ProtoMessageType.MESSAGE_TYPE_SNAP],
  [MessageType.TimeoutNow, ProtoMessageType.MESSAGE_TYPE_TIMEOUT_NOW],
  [MessageType.Prop, ProtoMessageType.MESSAGE_TYPE_PROP],
  [MessageType.ReadIndex, ProtoMessageType.MESSAGE_TYPE_READ_INDEX],
  [MessageType.ReadIndexResp, ProtoMessageType.MESSAGE_TYPE_READ_INDEX_RESP],
];

const TO_PROTO = new Map<MessageType, ProtoMessageType>(MESSAGE_TYPE_PAIRS);
const FROM_PROTO = new Map<number, MessageType>(MESSAGE_TYPE_PAIRS.map(([core, proto]) => [proto, core]));

export function messageTypeToProto(type: MessageType): ProtoMessageType {
  const proto = TO_PROTO.get(type);
  if (proto === undefined) throw new TypeError(`unknown core message type ${String(type)}`);
  return proto;
}

/** The core type for a wire value, or null when this build does not know it. */
export function messageTypeFromProto(value: number): MessageType | null {
  return FROM_PROTO.get(value) ?? null;
}

export function entryTypeToProto(type: EntryType): ProtoEntryType {
  return type === EntryType.ConfChange ? ProtoEntryType.ENTRY_TYPE_CONF_CHANGE : ProtoEntryType.ENTRY_TYPE_NORMAL;
}

export function entryTypeFromProto(value: number): EntryType | null {
  if (value === ProtoEntryType.ENTRY_TYPE_NORMAL) return EntryType.Normal;
  if (value === ProtoEntryType.ENTRY_TYPE_CONF_CHANGE) return EntryType.ConfChange;
  return null;
}

/**
 * Bulky messages carry entries and are re-sent by Raft anyway (the leader
 * retries from its log; a forwarded proposal is retried by its client). When a
 * peer's queue is full they are dropped first, and they make room for control
 * messages (votes, heartbeats, responses, TimeoutNow, reads), which are small
 * and whose loss costs an election timeout.
 */
export function isBulkyMessageType(type: MessageType): boolean {
  return type === MessageType.App || type === MessageType.Prop;
}
