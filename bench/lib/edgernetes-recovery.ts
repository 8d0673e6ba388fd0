/**
 * The steps of the recovery bench (issue 4): write a batch through one
 * client, wipe a replica's data dir, and time a restarted replica until it
 * has caught up.
 *
 * "Caught up" is measured on the replica's own view: Cluster.Status with
 * localOnly through that replica reports its applied index, and it has caught
 * up once that index reaches the highest commit index the other live replicas
 * report, read just before it in the same probe. No write runs while a
 * replica catches up, so that commit index only moves by the few entries the
 * cluster itself appends (a rejoin's configuration changes).
 */
import assert from 'node:assert/strict';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { EdgernetesClient } from '../../src/client/client.js';
import type { StatusResponse } from '../../src/gen/edgernetes/api/v1/cluster.js';
import type { EdgernetesCluster } from './edgernetes-cluster.js';
import { EdgernetesClusterError, EdgernetesRequestError } from './edgernetes-errors.js';
import { edgernetesPutOp } from './edgernetes-ops.js';
import { runLoad } from './loadgen.js';
import { PROBE_INTERVAL_MS } from './process-cluster.js';
import { waitUntil } from './wait.js';

/** Bound on one catch-up: far above any expected one, so a stuck replica fails the bench instead of hanging it. */
export const CATCH_UP_TIMEOUT_MS = 600_000;

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
export async function writeBatch(client: EdgernetesClient, value: Buffer, writes: number, concurrency: number): Promise<number> {
  const result = await runLoad(edgernetesPutOp([client], value), { concurrency, opCount: writes });
  if (result.errors > 0) {
    throw new EdgernetesRequestError(`${result.errors} of ${writes} writes failed: ${result.errorSamples.join('; ')}`);
  }
  return result.opsPerS;
}

/**
 * Removes everything in the data dir of stopped replica `index`, keeping the
 * dir itself (created private by the cluster), as an operator replacing a
 * failed disk would leave it.
 */
export function wipeDataDir(cluster: EdgernetesCluster, index: number): void {
  assert.ok(!cluster.isRunning(index), `replica ${index} must be stopped before its data dir is wiped`);
  const dir = cluster.infos[index]!.dataDir;
  for (const name of readdirSync(dir)) rmSync(join(dir, name), { recursive: true, force: true });
  assert.equal(readdirSync(dir).length, 0, `data dir ${dir} is empty after the wipe`);
}

/** Highest commit index reported by the live replicas other than `index`. */
async function othersCommitIndex(cluster: EdgernetesCluster, index: number): Promise<number> {
  const others = [...Array(cluster.size).keys()].filter((i) => i !== index && cluster.isRunning(i));
  assert.ok(others.length > 0, 'a catch-up needs another live replica');
  const statuses = await Promise.all(others.map((i) => cluster.status(i)));
  return Math.max(...statuses.map((s) => ownIndexes(s).commitIndex));
}

function exitedError(cluster: EdgernetesCluster, index: number): EdgernetesClusterError {
  return new EdgernetesClusterError(`replica ${cluster.infos[index]!.id} exited while catching up:\n${cluster.logTail(index)}`);
}

export interface CatchUp {
  /** From the restart until the replica follows a live leader. */
  readonly followLeaderS: number;
  /** From the restart until its applied index reaches the others' commit index. */
  readonly catchUpS: number;
  /** The commit index it reached. */
  readonly commitIndex: number;
}

/**
 * Restarts stopped replica `index` (on whatever its data dir holds) and times
 * it: to following a leader (cluster.restart returns then), and to having
 * applied everything the cluster has committed.
 */
export async function restartAndCatchUp(cluster: EdgernetesCluster, index: number): Promise<CatchUp> {
  assert.ok(!cluster.isRunning(index), `replica ${index} must be stopped before it is restarted`);
  const startMs = performance.now();
  await cluster.restart(index);
  const followLeaderS = (performance.now() - startMs) / 1_000;
  const commitIndex = await waitUntil(
    async () => {
      const target = await othersCommitIndex(cluster, index);
      const { appliedIndex } = ownIndexes(await cluster.status(index));
      return appliedIndex >= target ? target : undefined;
    },
    {
      what: `replica ${cluster.infos[index]!.id} to catch up`,
      timeoutMs: CATCH_UP_TIMEOUT_MS,
      intervalMs: PROBE_INTERVAL_MS,
      abortIf: () => (cluster.isRunning(index) ? undefined : exitedError(cluster, index)),
    },
  );
  return { followLeaderS, catchUpS: (performance.now() - startMs) / 1_000, commitIndex };
}
