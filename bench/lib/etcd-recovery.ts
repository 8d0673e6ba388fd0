/**
 * etcd's side of the recovery bench (issue 4), the counterpart of
 * edgernetes-recovery.ts: one run on a fresh 3-member cluster (same heartbeat
 * and election timeout, pre-vote, fsync; --snapshot-count set to the same
 * number of entries as our --snapshot-entries), the two cases of
 * recovery-run.ts on the follower after the leader.
 *
 * - restart: kill -9 halfway, write the rest, restart it on its data dir
 *   (etcd replays its WAL over its last snapshot, then the leader sends it
 *   entries or, past its compacted log, a snapshot of the whole store).
 * - wiped: etcd does not let a member with an emptied data dir back in by
 *   itself (it would come up with the old member id the cluster still lists
 *   and no log). The documented way to replace a lost disk is two membership
 *   calls, MemberRemove of the old member and MemberAdd of its peer URL (a new
 *   member id), then starting it on the empty dir with
 *   --initial-cluster-state=existing. Both calls are inside the timed window,
 *   which starts just before them: ours has no such calls, but its window
 *   holds the equivalent work, the replica rejoining as a learner by itself.
 *   The wipe itself (rm of the dir's contents) is outside both windows.
 *
 * "Caught up" is measured as for ours (catch-up.ts): the member's applied
 * index, read from its metrics listener (etcd-metrics.ts), against the
 * others' Status raftIndex (their commit index). Serving clients is timed
 * apart: etcd 3.4 opens its client URL only once the member has applied its
 * own "publish" entry (its name and client URLs), proposed as soon as its
 * server starts. A member that does not know the leader yet drops that
 * proposal, and 3.4's v2 request path ignores the drop and waits out the
 * request timeout (5 s + 2 election timeouts = 7 s here) before proposing it
 * again (etcdserver/v2_server.go, processRaftRequest): a member started on an
 * empty dir usually has no leader yet at that moment, so it serves clients
 * about 7 s after it has caught up. That delay is etcd 3.4's and is reported
 * as serving_s, not counted in catch_up_s.
 */
import { performance } from 'node:perf_hooks';
import { CATCH_UP_TIMEOUT_MS, STATUS_PROBE_TIMEOUT_MS, timeCatchUp, type CatchUpTarget, type MemberView } from './catch-up.js';
import { EtcdClient } from './etcd-client.js';
import { EtcdCluster } from './etcd-cluster.js';
import { EtcdMembership } from './etcd-membership.js';
import { readEtcdRaftMetrics } from './etcd-metrics.js';
import { benchValue, etcdPutOp } from './etcd-ops.js';
import { EtcdClusterError, EtcdRequestError } from './errors.js';
import { runLoad } from './loadgen.js';
import { sleepMs } from './wait.js';
import { emptyDataDir, writesBeforeKill, type CaseResult, type RecoveryRun, type RecoveryWorkload } from './recovery-run.js';

/** etcd 3.4 keeps this many entries in its raft log after a snapshot (etcdserver DefaultSnapshotCatchUpEntries, fixed). */
export const ETCD_SNAPSHOT_CATCH_UP_ENTRIES = 5_000;
/** Bound on each membership call, retries included. */
const MEMBERSHIP_CALL_TIMEOUT_MS = 30_000;
/**
 * etcd refuses MemberAdd ("unhealthy cluster") until the member asked has
 * been connected to every voting member for its HealthInterval (5 s, fixed in
 * 3.4), a guard meant for clusters that just changed. The wiped case starts
 * its clock no sooner than this long after the last member came back (plus a
 * margin), so with small --writes the window does not count the cluster's
 * own youth; with the default 100,000 writes the wait is already over.
 */
const ETCD_HEALTH_INTERVAL_MS = 5_000 + 500;

/** Puts `writes` values through `client`, `concurrency` in flight; every write must be acknowledged. */
async function writeBatch(client: EtcdClient, value: Buffer, writes: number, concurrency: number): Promise<void> {
  const result = await runLoad(etcdPutOp(client, value), { concurrency, opCount: writes });
  if (result.errors > 0) {
    throw new EtcdRequestError(`${result.errors} of ${writes} etcd writes failed: ${result.errorSamples.join('; ')}`, undefined);
  }
}

/** The member's raft state from its metrics listener, on a new connection. */
async function metricsView(metricsUrl: string): Promise<MemberView> {
  const metrics = await readEtcdRaftMetrics(metricsUrl, STATUS_PROBE_TIMEOUT_MS);
  return { leaderKnown: metrics.hasLeader, appliedIndex: metrics.appliedIndex };
}

/** One Status call to `endpoint` through a client made for this one call (see catch-up.ts for why). */
async function freshStatus(endpoint: string): Promise<void> {
  const client = await EtcdClient.create({
    endpoints: [endpoint],
    callTimeoutMs: STATUS_PROBE_TIMEOUT_MS,
    attemptTimeoutMs: STATUS_PROBE_TIMEOUT_MS,
  });
  try {
    await client.status(endpoint);
  } finally {
    client.close();
  }
}

/** Highest commit index (Status raftIndex) among the running members other than `index`. */
async function othersCommitIndex(cluster: EtcdCluster, client: EtcdClient, index: number): Promise<number> {
  const others = cluster.endpoints.filter((_, i) => i !== index && cluster.isRunning(i));
  if (others.length === 0) throw new EtcdClusterError('a catch-up needs another running member');
  const statuses = await Promise.all(others.map((e) => client.status(e, STATUS_PROBE_TIMEOUT_MS)));
  return Math.max(...statuses.map((s) => s.raftIndex));
}

function catchUpTarget(cluster: EtcdCluster, client: EtcdClient, index: number, start: () => Promise<void>): CatchUpTarget {
  const info = cluster.infos[index]!;
  return {
    what: `etcd member ${info.name} to catch up`,
    start,
    view: () => metricsView(cluster.metricsUrl(index)),
    servesClients: () => freshStatus(info.clientEndpoint),
    othersCommitIndex: () => othersCommitIndex(cluster, client, index),
    exited: () =>
      cluster.isRunning(index)
        ? undefined
        : new EtcdClusterError(`member ${info.name} exited while catching up:\n${cluster.logTail(index)}`),
  };
}

/** The member after the current leader: the follower a case takes down. */
async function followerOf(cluster: EtcdCluster): Promise<number> {
  return ((await cluster.leaderIndex()) + 1) % cluster.size;
}

/** Case restart: kill -9 a follower halfway through the writes, write the rest, restart it on its data dir. */
async function restartCase(cluster: EtcdCluster, client: EtcdClient, w: RecoveryWorkload): Promise<CaseResult> {
  const value = benchValue(w.valueBytes);
  await writeBatch(client, value, writesBeforeKill(w), w.concurrency);
  const follower = await followerOf(cluster);
  const appliedAtKill = (await client.status(cluster.endpoints[follower]!, STATUS_PROBE_TIMEOUT_MS)).raftAppliedIndex;
  await cluster.kill(follower);
  await writeBatch(client, value, w.writes - writesBeforeKill(w), w.concurrency);
  const target = catchUpTarget(cluster, client, follower, () => cluster.restart(follower));
  const catchUp = await timeCatchUp(target, performance.now());
  return { ...catchUp, entriesBehind: catchUp.commitIndex - appliedAtKill, membershipS: 0 };
}

/**
 * MemberRemove of the member with `peerUrl`, then MemberAdd of the same peer
 * URL, both through `membership`; returns the seconds both took.
 */
async function replaceMember(membership: EtcdMembership, peerUrl: string): Promise<number> {
  const startMs = performance.now();
  const old = (await membership.list()).filter((m) => m.peerUrls.includes(peerUrl));
  if (old.length !== 1) throw new EtcdClusterError(`${old.length} members have peer URL ${peerUrl}, expected 1`);
  await membership.remove(old[0]!.id);
  const added = await membership.add([peerUrl]);
  if (added.id === old[0]!.id) throw new EtcdClusterError(`MemberAdd reused the removed member id ${added.id}`);
  return (performance.now() - startMs) / 1_000;
}

/**
 * Case wiped: N writes with every member up; kill a follower, empty its data
 * dir, replace it etcd's way. `connectedSinceMs` (performance.now()): when the
 * last member came back (see ETCD_HEALTH_INTERVAL_MS).
 */
async function wipedCase(cluster: EtcdCluster, client: EtcdClient, w: RecoveryWorkload, connectedSinceMs: number): Promise<CaseResult> {
  await writeBatch(client, benchValue(w.valueBytes), w.writes, w.concurrency);
  await sleepMs(Math.max(0, connectedSinceMs + ETCD_HEALTH_INTERVAL_MS - performance.now()));
  const leader = await cluster.leaderIndex();
  const follower = (leader + 1) % cluster.size;
  await cluster.kill(follower);
  emptyDataDir(cluster.infos[follower]!.dataDir);
  const membership = await EtcdMembership.create(cluster.endpoints[leader]!, MEMBERSHIP_CALL_TIMEOUT_MS);
  try {
    const startMs = performance.now();
    const membershipS = await replaceMember(membership, cluster.peerUrl(follower));
    const target = catchUpTarget(cluster, client, follower, () => cluster.restartJoiningExisting(follower));
    const catchUp = await timeCatchUp(target, startMs);
    return { ...catchUp, entriesBehind: catchUp.commitIndex, membershipS };
  } finally {
    membership.close();
  }
}

function settingsOf(cluster: EtcdCluster, w: RecoveryWorkload): Record<string, unknown> {
  return {
    version: cluster.version,
    members: cluster.size,
    heartbeat_ms: cluster.options.heartbeatIntervalMs,
    election_timeout_ms: cluster.options.electionTimeoutMs,
    fsync: true,
    pre_vote: cluster.options.preVote,
    snapshot_count: w.snapshotEntries,
    snapshot_catch_up_entries: ETCD_SNAPSHOT_CATCH_UP_ENTRIES,
    auto_compaction: false,
    wiped_procedure: 'MemberRemove + MemberAdd (inside the timed window), start on the empty dir with --initial-cluster-state=existing',
  };
}

/** One run: a fresh etcd cluster, the restart case then the wiped case on a follower; the cluster is stopped after. */
export async function runEtcdRecovery(w: RecoveryWorkload): Promise<RecoveryRun> {
  const cluster = await EtcdCluster.start({
    size: 3,
    heartbeatIntervalMs: w.heartbeatIntervalMs,
    electionTimeoutMs: w.electionTimeoutMs,
    preVote: true,
    baseDir: w.baseDir,
    snapshotCount: w.snapshotEntries,
    metricsListener: true,
    waitTimeoutMs: CATCH_UP_TIMEOUT_MS,
  });
  try {
    const client = await EtcdClient.create({ endpoints: cluster.endpoints });
    // Writes go to the leader first, as ours do (EdgernetesClient built from the leader's endpoint).
    client.prefer(cluster.endpoints[await cluster.leaderIndex()]!);
    try {
      const restart = await restartCase(cluster, client, w);
      const wiped = await wipedCase(cluster, client, w, performance.now());
      return { restart, wiped, settings: settingsOf(cluster, w) };
    } finally {
      client.close();
    }
  } finally {
    await cluster.stop();
  }
}
