/**
 * What a replica says when it refuses a caller it does not count as a peer
 * (PERMISSION_DENIED "call from unknown peer"), and how the caller reads it.
 *
 * The refuser's transport knows only its peer list, which lags its applied
 * configuration (reconciled after each membership change, restored from
 * older data after a restart). So the refusal carries, as trailing metadata,
 * what the refuser's configuration says about the caller and at which applied
 * index — enough for the caller to tell "removed" from "not known yet" (the
 * rule is in src/raft/node/removal.ts). A refusal without these trailers (the
 * refuser could not vouch for its configuration) proves nothing.
 */
import * as grpc from '@grpc/grpc-js';
import type { NodeId } from '../core/types.js';

/** Trailer: the refuser's applied index; its configuration is the one in effect there. */
export const APPLIED_INDEX_TRAILER = 'x-edgernetes-applied-index';
/** Trailer: the caller's place in that configuration: voter, learner or none. */
export const MEMBERSHIP_TRAILER = 'x-edgernetes-membership';
/** Trailer: index of the entry that removed the caller, when the refuser applied it (0 = not known). */
export const REMOVED_AT_TRAILER = 'x-edgernetes-removed-at';

export type MembershipKind = 'voter' | 'learner' | 'none';

/** What the refuser's configuration says about the caller. */
export interface MembershipStatement {
  readonly appliedIndex: number;
  readonly membership: MembershipKind;
  readonly removedAtIndex: number;
}

/** Answers, for a caller about to be refused, what our configuration says about it (null: cannot vouch). */
export type MembershipOracle = (caller: NodeId) => MembershipStatement | null;

/** A peer refused our outbound stream as coming from an unknown peer. */
export interface PeerRefusal {
  readonly peer: NodeId;
  /** Null when the refusal carried no (valid) statement. */
  readonly statement: MembershipStatement | null;
  /** The status details the peer sent. */
  readonly detail: string;
}

const KINDS: readonly MembershipKind[] = ['voter', 'learner', 'none'];
const INDEX = /^(0|[1-9][0-9]{0,15})$/;

export function statementTrailers(statement: MembershipStatement): grpc.Metadata {
  const metadata = new grpc.Metadata();
  metadata.set(APPLIED_INDEX_TRAILER, String(statement.appliedIndex));
  metadata.set(MEMBERSHIP_TRAILER, statement.membership);
  metadata.set(REMOVED_AT_TRAILER, String(statement.removedAtIndex));
  return metadata;
}

/** The statement in a refusal's trailers, or null when absent or malformed (then it proves nothing). */
export function readStatement(metadata: grpc.Metadata | undefined): MembershipStatement | null {
  if (metadata === undefined) return null;
  const applied = single(metadata, APPLIED_INDEX_TRAILER);
  const membership = single(metadata, MEMBERSHIP_TRAILER);
  const removedAt = single(metadata, REMOVED_AT_TRAILER);
  if (applied === null || membership === null || removedAt === null) return null;
  if (!INDEX.test(applied) || !INDEX.test(removedAt) || !KINDS.includes(membership as MembershipKind)) return null;
  const appliedIndex = Number(applied);
  const removedAtIndex = Number(removedAt);
  if (!Number.isSafeInteger(appliedIndex) || !Number.isSafeInteger(removedAtIndex) || removedAtIndex > appliedIndex) return null;
  return { appliedIndex, membership: membership as MembershipKind, removedAtIndex };
}

/** The refusal in a closed call's error, when the peer refused us as an unknown peer; else null. */
export function peerRefusalOf(peer: NodeId, reason: Error | null): PeerRefusal | null {
  const error = reason as Partial<grpc.ServiceError> | null;
  if (error?.code !== grpc.status.PERMISSION_DENIED) return null;
  return { peer, statement: readStatement(error.metadata), detail: error.details ?? '' };
}

function single(metadata: grpc.Metadata, key: string): string | null {
  const values = metadata.get(key);
  return values.length === 1 && typeof values[0] === 'string' ? values[0] : null;
}
