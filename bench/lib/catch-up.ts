/**
 * Timing a member that comes back (after a crash, or on an emptied data dir)
 * until it has caught up with its cluster, the same way for every system.
 *
 * "Caught up": in one probe, the member names a leader and its applied index
 * has reached the highest commit index the other live members report, read
 * just before. The recovery bench writes nothing meanwhile, so that index only
 * moves by the few entries the cluster appends itself (a rejoin's membership
 * changes, etcd's publish of the member's attributes).
 *
 * "Serves clients": the member answers a client call (Status). Ours answers
 * as soon as its server runs; etcd's client URL opens only once the member has
 * applied its own publish entry (etcd-recovery.ts says why that can take a
 * request timeout), so etcd's raft progress is read from its metrics listener
 * instead (etcd-metrics.ts). The wait ends once both hold.
 *
 * Why the member is probed over a new connection each time: a gRPC channel to
 * a member that was down sits in reconnect backoff (up to 1 s with the bench
 * clients' settings) and fails calls at once until it retries, so a kept
 * channel would notice the member up to a second late; one call on a fresh
 * channel costs a loopback connect (about a millisecond) and reports the
 * member's state as of that probe. The cluster's own wait for the restarted
 * member to follow a leader (ProcessCluster.restart) runs meanwhile through
 * its kept channels, so it is not what the clock stops on.
 */
import { performance } from 'node:perf_hooks';
import { PROBE_INTERVAL_MS } from './process-cluster.js';
import { waitUntil } from './wait.js';

/**
 * Bound on one catch-up, and on the clusters' own waits during the recovery
 * bench (an etcd member only answers once it has caught up): far above any
 * expected one, so a stuck member fails the bench instead of hanging it.
 */
export const CATCH_UP_TIMEOUT_MS = 300_000;

/** Bound on one Status probe. */
export const STATUS_PROBE_TIMEOUT_MS = 500;

/** What one probe of the returning member's raft state says. */
export interface MemberView {
  /** It names a leader (it has heard from one in its current term). */
  readonly leaderKnown: boolean;
  /** Raft index of the last entry it applied to its state machine. */
  readonly appliedIndex: number;
}

/** A member brought back, as timeCatchUp sees it. */
export interface CatchUpTarget {
  /** For errors: "replica n2 to catch up". */
  readonly what: string;
  /**
   * Starts the member's process; resolves once the cluster's own probe sees
   * it follow a leader, rejects if it cannot start or exits meanwhile.
   */
  start(): Promise<void>;
  /** One probe of the member's raft state over a fresh connection; throws while it does not answer. */
  view(): Promise<MemberView>;
  /** One client call (Status) to the member over a fresh connection; throws unless it answers. */
  servesClients(): Promise<void>;
  /** Highest commit index reported by the other live members. */
  othersCommitIndex(): Promise<number>;
  /** An error when the member has exited (checked once start() has resolved), else undefined. */
  exited(): Error | undefined;
}

export interface CatchUp {
  /** From startMs until the first probe in which the member names a leader. */
  readonly followLeaderS: number;
  /** From startMs until the probe that found it caught up. */
  readonly catchUpS: number;
  /** From startMs until the first probe in which it answered a client call. */
  readonly servingS: number;
  /** The commit index it had reached then. */
  readonly commitIndex: number;
}

/**
 * Starts `target` and times it from `startMs` (performance.now(); earlier than
 * now when the timed window includes steps before the start, such as etcd's
 * membership calls) until it has caught up and serves clients. Probes every
 * PROBE_INTERVAL_MS, bounded by CATCH_UP_TIMEOUT_MS; ends at once if the start
 * fails or the member exits. Returns only after start() has settled too, so no
 * promise is left behind.
 */
export async function timeCatchUp(target: CatchUpTarget, startMs: number): Promise<CatchUp> {
  let started = false;
  let startError: Error | undefined;
  const starting = target.start().then(
    () => void (started = true),
    (err: unknown) => void (startError = err instanceof Error ? err : new Error(String(err))),
  );
  let outcome: { caughtUp: CatchUp } | { failed: unknown };
  try {
    const abortIf = () => startError ?? (started ? target.exited() : undefined);
    outcome = { caughtUp: await probeUntilCaughtUp(target, startMs, abortIf) };
  } catch (err) {
    outcome = { failed: err };
  }
  await starting;
  if (startError !== undefined) throw startError; // the cause of the probe's failure, if it failed
  if ('failed' in outcome) throw outcome.failed;
  return outcome.caughtUp;
}

async function answers(call: () => Promise<void>): Promise<boolean> {
  try {
    await call();
    return true;
  } catch {
    return false; // not serving yet: the probe says so by failing
  }
}

async function probeUntilCaughtUp(target: CatchUpTarget, startMs: number, abortIf: () => Error | undefined): Promise<CatchUp> {
  let followLeaderMs: number | undefined;
  let caughtUp: { ms: number; commitIndex: number } | undefined;
  let servingMs: number | undefined;
  await waitUntil(
    async () => {
      if (servingMs === undefined && (await answers(() => target.servesClients()))) servingMs = performance.now();
      if (caughtUp === undefined) {
        const goal = await target.othersCommitIndex();
        const view = await target.view();
        if (view.leaderKnown) followLeaderMs ??= performance.now();
        if (view.leaderKnown && view.appliedIndex >= goal) caughtUp = { ms: performance.now(), commitIndex: goal };
      }
      return caughtUp !== undefined && servingMs !== undefined;
    },
    { what: target.what, timeoutMs: CATCH_UP_TIMEOUT_MS, intervalMs: PROBE_INTERVAL_MS, abortIf },
  );
  const seconds = (ms: number) => (ms - startMs) / 1_000;
  return {
    followLeaderS: seconds(followLeaderMs!),
    catchUpS: seconds(caughtUp!.ms),
    servingS: seconds(servingMs!),
    commitIndex: caughtUp!.commitIndex,
  };
}
