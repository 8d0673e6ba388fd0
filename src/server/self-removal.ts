/**
 * A leader asked to remove itself hands leadership over first, then has the
 * new leader remove it, and answers once it has learned of its removal.
 *
 * Why not remove itself as leader: the core does step down after applying its
 * own removal and sends TimeoutNow to the most caught-up voter, but the
 * followers apply the same removal at about the same moment and stop
 * accepting the removed leader's streams, so that TimeoutNow is often
 * refused, and the cluster waits out an election timeout with no leader.
 * Handing over first leaves no gap: the removal is committed by a leader that
 * stays, and this replica is removed as a follower (and stops, exit 78).
 */
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { FORWARDED_HEADER, type CallContext } from '../api/call.js';
import { ApiError } from '../api/status.js';
import type { ClusterClient, RemoveMemberResponse } from '../gen/edgernetes/api/v1/cluster.js';

export interface SelfRemovalDeps {
  readonly id: string;
  readonly logger: Logger;
  /** Hands leadership to the most caught-up other voter; resolves with the new leader's id. */
  handOver(context: CallContext): Promise<string>;
  addressOf(id: string): string | null;
  clusterClient(address: string): ClusterClient;
  /** Resolves once this replica has learned it was removed. */
  readonly removed: Promise<unknown>;
}

export async function removeSelfAsLeader(deps: SelfRemovalDeps, context: CallContext): Promise<void> {
  const next = await deps.handOver(context);
  deps.logger.info({ leader: next }, `removing itself: handed leadership to ${next}, which removes ${deps.id}`);
  const address = deps.addressOf(next);
  if (address === null) throw new ApiError(grpc.status.UNAVAILABLE, `no address known for the new leader ${next}; retry`);
  await forwardRemoval(deps, address, context);
  // Committed. Wait (within the deadline) until this replica has learned it, so the answer's
  // member list, read here, no longer names it. Its peers' refusals tell it within a reconnect.
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, context.deadlineMs - Date.now()))));
  await Promise.race([deps.removed, late]);
  clearTimeout(timer);
}

function forwardRemoval(deps: SelfRemovalDeps, address: string, context: CallContext): Promise<RemoveMemberResponse> {
  const client = deps.clusterClient(address);
  const metadata = new grpc.Metadata();
  metadata.set(FORWARDED_HEADER, deps.id);
  return new Promise((resolve, reject) =>
    client.removeMember({ id: deps.id }, metadata, { deadline: new Date(context.callerDeadlineMs) }, (err, res) => (err ? reject(err) : resolve(res))),
  );
}
