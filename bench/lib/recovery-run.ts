/**
 * What the two sides of the recovery bench (edgernetes-recovery.ts,
 * etcd-recovery.ts) share: the workload both run, the shape of one run's
 * result, and emptying a stopped member's data dir.
 *
 * One run of a system = a fresh 3-member cluster (so every round starts from
 * the same state, whatever the previous round left on disk: etcd, for one,
 * keeps every revision unless compacted), then two cases on one follower:
 * - restart: it is killed with SIGKILL halfway through `writes` writes, the
 *   other half is written without it, then it restarts on its data dir;
 * - wiped: `writes` more writes with every member up, then it is killed, its
 *   data dir emptied, and it is brought back the system's own way.
 */
import assert from 'node:assert/strict';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { CatchUp } from './catch-up.js';

export interface RecoveryWorkload {
  /** Writes per case (N). */
  readonly writes: number;
  /** Writes in flight through the one client. */
  readonly concurrency: number;
  readonly valueBytes: number;
  /** Applied entries between two snapshots (ours: --snapshot-entries; etcd: --snapshot-count). */
  readonly snapshotEntries: number;
  readonly heartbeatIntervalMs: number;
  readonly electionTimeoutMs: number;
  /** Where the cluster's temp dir is created (same disk for both systems). */
  readonly baseDir: string;
  /** Node flags our replicas start with (ignored by etcd's side). */
  readonly serverNodeFlags: readonly string[];
}

/** Writes made before the follower is killed in the restart case. */
export function writesBeforeKill(workload: RecoveryWorkload): number {
  return Math.floor(workload.writes / 2);
}

export interface CaseResult extends CatchUp {
  /** Entries the member lacked when it came back: the commit index reached minus what it had applied. */
  readonly entriesBehind: number;
  /** Seconds of the membership calls inside the timed window (etcd's wiped case), 0 when there are none. */
  readonly membershipS: number;
}

export interface RecoveryRun {
  readonly restart: CaseResult;
  readonly wiped: CaseResult;
  /** The system's settings, as run (for the results' settings). */
  readonly settings: Record<string, unknown>;
}

/** One system in the bench: each call is one run on a fresh cluster, stopped before it returns. */
export type RecoverySystem = (workload: RecoveryWorkload) => Promise<RecoveryRun>;

/**
 * Removes everything in `dataDir` of a stopped member, keeping the dir itself
 * (created private), as an operator replacing a failed disk would leave it.
 */
export function emptyDataDir(dataDir: string): void {
  for (const name of readdirSync(dataDir)) rmSync(join(dataDir, name), { recursive: true, force: true });
  assert.equal(readdirSync(dataDir).length, 0, `data dir ${dataDir} is empty after the wipe`);
}
