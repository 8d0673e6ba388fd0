/**
 * Our side of the recovery bench (issue 4), the counterpart of
 * etcd-recovery.ts: one run on a fresh 3-replica cluster (heartbeat 100 ms,
 * election timeout 1000 ms, fsync, pre-vote; the servers compact every
 * `snapshotEntries` applied entries), the two cases of recovery-run.ts on the
 * follower after the leader.
 *
 * - restart: kill -9 halfway, write the rest, restart it on its data dir (it
 *   replays its own snapshot and WAL, then takes the leader's entries, or its
 *   snapshot past the leader's compacted log).
 * - wiped: kill it, empty its data dir, restart it with the same id: the
 *   server finds the cluster running, rejoins as a learner by itself and
 *   catches up by snapshot. No operator call is needed, so the timed window is
 *   the restart alone; it holds the rejoin's membership changes.
 *
 * "Caught up" (catch-up.ts): the replica's own Status (localOnly, over a fresh
 * connection) names a leader and reports an applied index at or past the
 * highest commit index the other live replicas report. It serves clients from
 * its first Status answer on (the same gRPC server serves the KV API).
 */
import { credentials } from '@grpc/grpc-js';
import { performance } from 'node:perf_hooks';
import { EdgernetesClient } from '../../src/client/client.js';
import { invokeUnary } from '../../src/client/endpoints.js';
import { ClusterClient, type StatusResponse } from '../../src/gen/edgernetes/api/v1/cluster.js';
import { CATCH_UP_TIMEOUT_MS, STATUS_PROBE_TIMEOUT_MS, timeCatchUp, type CatchUp, type CatchUpTarget, type MemberView } from './catch-up.js';
import { EdgernetesCluster } from './edgernetes-cluster.js';
import { EdgernetesClusterError, EdgernetesRequestError } from './edgernetes-errors.js';
import { edgernetesPutOp } from './edgernetes-ops.js';
import { benchValue } from './etcd-ops.js';
import { runLoad } from './loadgen.js';
import { emptyDataDir, writesBeforeKill, type CaseResult, type RecoveryRun, type RecoveryWorkload } from './recovery-run.js';

/** Applied and commit index of the replica that answered a localOnly Status (its own entry in `members`). */
export function ownIndexes(status: StatusResponse): { appliedIndex: number; commitIndex: number } {
  const own = status.members.find((m) => m.id === status.memberId);
  if (own === undefined) {
    throw new EdgernetesRequestError(`Status of ${status.memberId} does not list ${status.memberId} among its members`);
  }
  return { appliedIndex: own.appliedIndex, commitIndex: own.commitIndex };
}

/**
 * Puts `writes` values through `client`, `concurrency` in flight. Every write
 * must be acknowledged: a failed one would make the entry count, hence the
 * catch-up measured, smaller than asked.
 */
async function writeBatch(client: EdgernetesClient, value: Buffer, writes: number, concurrency: number): Promise<void> {
  const result = await runLoad(edgernetesPutOp([client], value), { concurrency, opCount: writes });
  if (result.errors > 0) {
    throw new EdgernetesRequestError(`${result.errors} of ${writes} writes failed: ${result.errorSamples.join('; ')}`);
  }
}

/** Replica `id`'s own Status through a channel made for this one call (see catch-up.ts for why). */
async function freshView(endpoint: string, id: string): Promise<MemberView> {
  const client = new ClusterClient(endpoint, credentials.createInsecure(), {
    'grpc.use_local_subchannel_pool': 1,
    'grpc.enable_channelz': 0,
  });
  try {
    const status = await invokeUnary(client.status.bind(client), { localOnly: true }, Date.now() + STATUS_PROBE_TIMEOUT_MS);
    if (status.memberId !== id) throw new EdgernetesClusterError(`${endpoint} answers as ${status.memberId}, not ${id}`);
    return { leaderKnown: status.leaderId !== '', appliedIndex: ownIndexes(status).appliedIndex };
  } finally {
    client.close();
  }
}

/** Highest commit index reported by the live replicas other than `index`. */
async function othersCommitIndex(cluster: EdgernetesCluster, index: number): Promise<number> {
  const others = [...Array(cluster.size).keys()].filter((i) => i !== index && cluster.isRunning(i));
  if (others.length === 0) throw new EdgernetesClusterError('a catch-up needs another live replica');
  const statuses = await Promise.all(others.map((i) => cluster.status(i)));
  return Math.max(...statuses.map((s) => ownIndexes(s).commitIndex));
}

/** Restarts stopped replica `index` on whatever its data dir holds and times it until caught up. */
async function restartAndCatchUp(cluster: EdgernetesCluster, index: number): Promise<CatchUp> {
  const info = cluster.infos[index]!;
  const target: CatchUpTarget = {
    what: `replica ${info.id} to catch up`,
    start: () => cluster.restart(index),
    view: () => freshView(info.endpoint, info.id),
    servesClients: async () => void (await freshView(info.endpoint, info.id)),
    othersCommitIndex: () => othersCommitIndex(cluster, index),
    exited: () =>
      cluster.isRunning(index)
        ? undefined
        : new EdgernetesClusterError(`replica ${info.id} exited while catching up:\n${cluster.logTail(index)}`),
  };
  return timeCatchUp(target, performance.now());
}

/** The replica after the current leader: the follower a case takes down. */
async function followerOf(cluster: EdgernetesCluster): Promise<number> {
  return ((await cluster.leaderIndex()) + 1) % cluster.size;
}

/** Case restart: kill -9 a follower halfway through the writes, write the rest, restart it. */
async function restartCase(cluster: EdgernetesCluster, client: EdgernetesClient, w: RecoveryWorkload): Promise<CaseResult> {
  const value = benchValue(w.valueBytes);
  await writeBatch(client, value, writesBeforeKill(w), w.concurrency);
  const follower = await followerOf(cluster);
  const appliedAtKill = ownIndexes(await cluster.status(follower)).appliedIndex;
  await cluster.kill(follower);
  await writeBatch(client, value, w.writes - writesBeforeKill(w), w.concurrency);
  const catchUp = await restartAndCatchUp(cluster, follower);
  return { ...catchUp, entriesBehind: catchUp.commitIndex - appliedAtKill, membershipS: 0 };
}

/** Case wiped: N writes with every replica up, then kill a follower, empty its data dir, restart it. */
async function wipedCase(cluster: EdgernetesCluster, client: EdgernetesClient, w: RecoveryWorkload): Promise<CaseResult> {
  await writeBatch(client, benchValue(w.valueBytes), w.writes, w.concurrency);
  const follower = await followerOf(cluster);
  await cluster.kill(follower);
  emptyDataDir(cluster.infos[follower]!.dataDir);
  const catchUp = await restartAndCatchUp(cluster, follower);
  return { ...catchUp, entriesBehind: catchUp.commitIndex, membershipS: 0 };
}

function settingsOf(cluster: EdgernetesCluster, w: RecoveryWorkload): Record<string, unknown> {
  return {
    replicas: cluster.size,
    tick_ms: cluster.options.tickIntervalMs,
    heartbeat_ms: cluster.options.heartbeatIntervalMs,
    election_timeout_ms: cluster.options.electionTimeoutMs,
    fsync: true,
    pre_vote: true,
    snapshot_entries: w.snapshotEntries,
    node_flags: cluster.options.nodeFlags,
    wiped_procedure: 'restart on the empty dir with the same id; the replica rejoins as a learner by itself (inside the timed window)',
  };
}

/** One run: a fresh cluster, the restart case then the wiped case on a follower; the cluster is stopped after. */
export async function runEdgernetesRecovery(w: RecoveryWorkload): Promise<RecoveryRun> {
  const cluster = await EdgernetesCluster.start({
    size: 3,
    heartbeatIntervalMs: w.heartbeatIntervalMs,
    electionTimeoutMs: w.electionTimeoutMs,
    baseDir: w.baseDir,
    snapshotEntries: w.snapshotEntries,
    waitTimeoutMs: CATCH_UP_TIMEOUT_MS,
    nodeFlags: w.serverNodeFlags,
  });
  try {
    // One client preferring the leader (EdgernetesClient tries its endpoints in order).
    const client = new EdgernetesClient({ endpoints: cluster.endpointsFrom(await cluster.leaderIndex()) });
    try {
      const restart = await restartCase(cluster, client, w);
      const wiped = await wipedCase(cluster, client, w);
      return { restart, wiped, settings: settingsOf(cluster, w) };
    } finally {
      client.close();
    }
  } finally {
    await cluster.stop();
  }
}
