/**
 * `npm run bench -- failover [--vs etcd] [--rounds R] [--attempt-timeout-ms T]
 *  [--cases kill,isolate] [--base-dir DIR] [--results-dir DIR] [--server-node-flags="FLAGS"]`
 *
 * Failover (issue 4): a 3-replica Edgernetes cluster and, with `--vs etcd`, a
 * 3-member etcd cluster (same heartbeat 100 ms and election timeout 1000 ms,
 * pre-vote on, fsync on, same disk). A round takes the leader away and times,
 * from that moment, the first acknowledged write through a client holding all
 * endpoints and preferring the (old) leader; then it brings the member back.
 * Both clients bound each attempt by the same T ms (`--attempt-timeout-ms`,
 * reported) and a whole write by CALL_TIMEOUT_MS. Cases:
 * - `kill`: kill -9 the leader (its connections break: Edgernetes notices
 *   through the transport and starts a pre-vote at once); the member restarts
 *   on its data after the round;
 * - `isolate`: cut the leader off without breaking any connection (nftables,
 *   root needed; see net-isolation.ts), so only timeouts can tell; healed after
 *   the round. Default when running as root.
 * R rounds per system and case (default 10), systems alternating; median and
 * max per system, `ratio_<figure>` = edgernetes / etcd. Prints tables, stores
 * bench/results/failover.{json,svg}, and ends with one JSON line:
 * {"bench":"failover","rounds":R,"edgernetes":{"median_ms":…,"max_ms":…},"etcd":{…},
 *  "ratio_median_ms":…,"ratio_max_ms":…,"isolated":{same shape},"each_round_ms":{…},"settings":{…}}
 * (the top-level figures are the kill case, as issue 4 shows them).
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { commonOptions, COMMON_ARG_OPTIONS, positive, positiveInteger, type CommonOptions } from './lib/edgernetes-args.js';
import { clusterSettings, machineSettings, startClusters, stopClusters, VALUE_BYTES, type Clusters } from './lib/edgernetes-compare.js';
import { compareFailover, isolatingTarget, type FailoverComparison } from './lib/edgernetes-failover.js';
import { edgernetesFailoverTarget, type ClosableFailoverTarget } from './lib/edgernetes-ops.js';
import { EtcdClient } from './lib/etcd-client.js';
import { benchValue, etcdFailoverTarget } from './lib/etcd-ops.js';
import type { FailoverTarget } from './lib/failover.js';
import { finishBench, plainTable } from './lib/report.js';
import { roundSignificant, type Figures } from './lib/stats.js';
import { barChartSvg } from './lib/svg-chart.js';

const CASES = ['kill', 'isolate'] as const;
type Case = (typeof CASES)[number];
/** Bound on one round's write, attempts included: far above any failover, so a round always ends. */
const CALL_TIMEOUT_MS = 30_000;
const ROUNDS_MAX = 100;

interface FailoverOptions extends CommonOptions {
  readonly rounds: number;
  readonly attemptTimeoutMs: number;
  readonly cases: readonly Case[];
}

const isRoot = process.getuid?.() === 0;

function parseOptions(args: string[]): FailoverOptions {
  const { values } = parseArgs({
    args,
    options: {
      ...COMMON_ARG_OPTIONS,
      rounds: { type: 'string', default: '10' },
      'attempt-timeout-ms': { type: 'string', default: '250' },
      cases: { type: 'string', default: isRoot ? 'kill,isolate' : 'kill' },
    },
    strict: true,
  });
  const rounds = positiveInteger('rounds', values.rounds);
  if (rounds > ROUNDS_MAX) throw new RangeError(`--rounds: ${rounds} is more than ${ROUNDS_MAX}`);
  const cases = values.cases.split(',').map((c) => c.trim());
  for (const c of cases) {
    if (!(CASES as readonly string[]).includes(c)) throw new RangeError(`--cases: ${c} is not one of ${CASES.join(', ')}`);
  }
  if (cases.includes('isolate') && !isRoot) throw new RangeError('--cases isolate: isolation needs root (nftables)');
  const attemptTimeoutMs = positive('attempt-timeout-ms', values['attempt-timeout-ms']);
  if (attemptTimeoutMs > CALL_TIMEOUT_MS) throw new RangeError(`--attempt-timeout-ms: more than ${CALL_TIMEOUT_MS}`);
  return { ...commonOptions(values), rounds, attemptTimeoutMs, cases: [...new Set(cases)] as Case[] };
}

/** The kill -9 targets of every system under test, each with its all-endpoints client. */
async function killTargets(clusters: Clusters, o: FailoverOptions): Promise<{ targets: Record<string, FailoverTarget>; close(): void }> {
  const bounds = { attemptTimeoutMs: o.attemptTimeoutMs, callTimeoutMs: CALL_TIMEOUT_MS };
  const value = benchValue(VALUE_BYTES);
  const ours: ClosableFailoverTarget = edgernetesFailoverTarget(clusters.edgernetes, value, bounds);
  const targets: Record<string, FailoverTarget> = { edgernetes: ours };
  let etcdClient: EtcdClient | undefined;
  if (clusters.etcd !== undefined) {
    etcdClient = await EtcdClient.create({ endpoints: clusters.etcd.endpoints, ...bounds });
    targets.etcd = etcdFailoverTarget(clusters.etcd, etcdClient, value);
  }
  return {
    targets,
    close() {
      ours.close();
      etcdClient?.close();
    },
  };
}

function targetsFor(which: Case, kill: Record<string, FailoverTarget>, clusters: Clusters): Record<string, FailoverTarget> {
  if (which === 'kill') return kill;
  const isolating: Record<string, FailoverTarget> = { edgernetes: isolatingTarget(kill.edgernetes!, clusters.edgernetes) };
  if (kill.etcd !== undefined && clusters.etcd !== undefined) isolating.etcd = isolatingTarget(kill.etcd, clusters.etcd);
  return isolating;
}

function printCase(which: Case, comparison: FailoverComparison, o: FailoverOptions): void {
  const how = which === 'kill' ? 'kill -9 the leader' : 'isolate the leader (no broken connection)';
  const title = `Failover: ${how} → first acknowledged write through a client holding all endpoints (attempt timeout ${o.attemptTimeoutMs} ms)`;
  const rows: unknown[][] = Object.entries(comparison.roundsMs).map(([system, times]) => {
    const figures = comparison.entry[system] as Figures;
    return [system, times.length, figures.median_ms, figures.max_ms, times.map((t) => Math.round(t)).join(' ')];
  });
  if ('ratio_median_ms' in comparison.entry) {
    rows.push(['edgernetes/etcd', '', comparison.entry.ratio_median_ms, comparison.entry.ratio_max_ms, '']);
  }
  console.log(plainTable(title, ['system', 'rounds', 'median ms', 'max ms', 'each round ms'], rows));
}

function chart(results: Partial<Record<Case, FailoverComparison>>): string {
  const cases = CASES.filter((c) => results[c] !== undefined);
  const systems = [...new Set(cases.flatMap((c) => Object.keys(results[c]!.roundsMs)))];
  return barChartSvg({
    title: 'Failover: leader taken away → first acknowledged write',
    xLabel: 'how the leader was taken away',
    categories: cases.map((c) => (c === 'kill' ? 'kill -9' : 'isolated')),
    panels: ['median_ms', 'max_ms'].map((figure) => ({
      figure,
      series: Object.fromEntries(
        systems.map((s) => [s, cases.map((c) => (results[c]!.entry[s] as Figures | undefined)?.[figure] ?? null)]),
      ),
    })),
  });
}

async function measure(clusters: Clusters, o: FailoverOptions): Promise<Partial<Record<Case, FailoverComparison>>> {
  const { targets, close } = await killTargets(clusters, o);
  try {
    const results: Partial<Record<Case, FailoverComparison>> = {};
    for (const which of o.cases) {
      results[which] = await compareFailover(o.rounds, targetsFor(which, targets, clusters));
      printCase(which, results[which]!, o);
    }
    return results;
  } finally {
    close();
  }
}

export async function run(args: string[]): Promise<void> {
  const o = parseOptions(args);
  const loadAverageAtStart = loadavg();
  const clusters = await startClusters({ ...o, isolatable: o.cases.includes('isolate') });
  try {
    const results = await measure(clusters, o);
    const roundTimes = (c: FailoverComparison) =>
      Object.fromEntries(Object.entries(c.roundsMs).map(([s, times]) => [s, times.map((t) => roundSignificant(t))]));
    const settings = {
      ...clusterSettings(clusters, o.baseDir),
      attempt_timeout_ms: o.attemptTimeoutMs,
      call_timeout_ms: CALL_TIMEOUT_MS,
      cases: o.cases,
      machine: machineSettings(loadAverageAtStart),
    };
    finishBench({
      bench: 'failover',
      resultsDir: o.resultsDir,
      svg: chart(results),
      result: {
        ...(results.kill?.entry ?? { rounds: o.rounds }),
        ...(results.isolate === undefined ? {} : { isolated: results.isolate.entry }),
        each_round_ms: {
          ...(results.kill === undefined ? {} : { kill: roundTimes(results.kill) }),
          ...(results.isolate === undefined ? {} : { isolated: roundTimes(results.isolate) }),
        },
        settings,
      },
    });
  } finally {
    await stopClusters(clusters);
  }
}
