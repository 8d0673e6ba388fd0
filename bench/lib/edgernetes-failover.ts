/**
 * Failover comparisons (issue 4): rounds of "take the leader away, time the
 * first acknowledged write through a client holding all endpoints", for
 * several systems in alternating order, summarised per system by median and
 * max. The leader is taken away either by kill -9 (the targets' own kill) or
 * by isolation: a partition that breaks no connection, so the failure can only
 * be noticed by timeouts (isolatingTarget).
 */
import { runAlternating } from './alternate.js';
import { measureFailoverRound, type FailoverTarget } from './failover.js';
import { comparisonEntry } from './report.js';
import { maximum, median, type Figures } from './stats.js';

/** A cluster that can cut a member off without breaking its connections, and heal it. */
export interface IsolatableCluster {
  isolate(index: number): Promise<void>;
  heal(index: number): Promise<void>;
  /** Waits (bounded) until every member that should answer does and all agree on a leader. */
  waitHealthy(): Promise<number>;
}

/**
 * `base` with its kill replaced by isolating the leader, and its recovery by
 * healing it and waiting until the whole cluster (the healed member included)
 * agrees on one leader again.
 */
export function isolatingTarget(base: FailoverTarget, cluster: IsolatableCluster): FailoverTarget {
  return {
    prepare: () => base.prepare(),
    kill: (leader) => cluster.isolate(leader),
    write: () => base.write(),
    async recover(leader) {
      await cluster.heal(leader);
      await cluster.waitHealthy();
    },
  };
}

export interface FailoverComparison {
  /** { rounds, <system>: { median_ms, max_ms }, …, ratio_median_ms, ratio_max_ms } */
  readonly entry: Record<string, unknown>;
  /** Each system's round times in round order, for the table and the results. */
  readonly roundsMs: Readonly<Record<string, readonly number[]>>;
}

/** `rounds` failover rounds per system, alternating systems (A B, B A, …). */
export async function compareFailover(
  rounds: number,
  targets: Readonly<Record<string, FailoverTarget>>,
): Promise<FailoverComparison> {
  const runs = await runAlternating(
    rounds,
    Object.fromEntries(Object.entries(targets).map(([name, target]) => [name, () => measureFailoverRound(target)])),
  );
  const figures: Record<string, Figures> = Object.fromEntries(
    Object.entries(runs).map(([name, times]) => [name, { median_ms: median(times), max_ms: maximum(times) }]),
  );
  return { entry: comparisonEntry({ rounds }, figures), roundsMs: runs };
}
