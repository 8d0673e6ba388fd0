/** The one mapping between snapshot reject reasons and their protobuf enum. */
import { SnapshotRejectReason as ProtoReason } from '../../gen/edgernetes/raft/v1/raft.js';
import type { SnapshotRejectReason } from './errors.js';

const PAIRS: ReadonlyArray<readonly [SnapshotRejectReason, ProtoReason]> = [
  ['unspecified', ProtoReason.SNAPSHOT_REJECT_REASON_UNSPECIFIED],
  ['checksum', ProtoReason.SNAPSHOT_REJECT_REASON_CHECKSUM],
  ['offset', ProtoReason.SNAPSHOT_REJECT_REASON_OFFSET],
  ['too-large', ProtoReason.SNAPSHOT_REJECT_REASON_TOO_LARGE],
  ['timeout', ProtoReason.SNAPSHOT_REJECT_REASON_TIMEOUT],
  ['invalid', ProtoReason.SNAPSHOT_REJECT_REASON_INVALID],
  ['sink-failed', ProtoReason.SNAPSHOT_REJECT_REASON_SINK_FAILED],
  ['superseded', ProtoReason.SNAPSHOT_REJECT_REASON_SUPERSEDED],
  ['unavailable', ProtoReason.SNAPSHOT_REJECT_REASON_UNAVAILABLE],
  ['incomplete', ProtoReason.SNAPSHOT_REJECT_REASON_INCOMPLETE],
];

const TO_PROTO = new Map(PAIRS);
const FROM_PROTO = new Map(PAIRS.map(([reason, proto]) => [proto as number, reason]));

export function reasonToProto(reason: SnapshotRejectReason): ProtoReason {
  return TO_PROTO.get(reason) ?? ProtoReason.SNAPSHOT_REJECT_REASON_UNSPECIFIED;
}

/** Unknown values (a newer peer) read as 'unspecified'. */
export function reasonFromProto(value: number): SnapshotRejectReason {
  return FROM_PROTO.get(value) ?? 'unspecified';
}
