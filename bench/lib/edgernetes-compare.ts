/**
 * What the side-by-side benches (write, read, failover) share: starting the
 * two clusters with equal settings on the same disk, describing the machine
 * and the settings in the results, running closed-loop loads of several
 * systems in alternating rounds and summarising them by medians, and the
 * chart of figures against concurrency.
 */
import { cpus, loadavg } from 'node:os';
import { statfsSync } from 'node:fs';
import { runAlternating } from './alternate.js';
import { EdgernetesCluster } from './edgernetes-cluster.js';
import { totalCpuMs } from './edgernetes-cpu.js';
import { EtcdCluster } from './etcd-cluster.js';
import { PrimeError } from './errors.js';
import { KEY_BYTES } from './etcd-ops.js';
import { runLoad, type LoadResult, type Op } from './loadgen.js';
import { loadFigures } from './report.js';
import { medianFigures, roundSignificant, type Figures } from './stats.js';
import { lineChartSvg } from './svg-chart.js';

export const VALUE_BYTES = 256;
/** Heartbeat and election timeout of both systems (issue 3's defaults, which are etcd's). */
export const HEARTBEAT_INTERVAL_MS = 100;
export const ELECTION_TIMEOUT_MS = 1_000;

export interface Clusters {
  readonly edgernetes: EdgernetesCluster;
  readonly etcd: EtcdCluster | undefined;
}

/**
 * Starts a 3-replica Edgernetes cluster and, with `vsEtcd`, a 3-member etcd
 * cluster (installed from Debian's packages when missing), both under
 * `baseDir`, both with fsync, heartbeat HEARTBEAT_INTERVAL_MS, election
 * timeout ELECTION_TIMEOUT_MS and pre-vote. One after the other, so neither
 * start-up competes with the other for the cores.
 */
export async function startClusters(o: {
  vsEtcd: boolean;
  baseDir: string;
  serverNodeFlags: readonly string[];
  isolatable?: boolean;
}): Promise<Clusters> {
  const common = {
    size: 3,
    heartbeatIntervalMs: HEARTBEAT_INTERVAL_MS,
    electionTimeoutMs: ELECTION_TIMEOUT_MS,
    baseDir: o.baseDir,
    isolatable: o.isolatable ?? false,
  };
  const edgernetes = await EdgernetesCluster.start({ ...common, nodeFlags: o.serverNodeFlags });
  try {
    const etcd = o.vsEtcd ? await EtcdCluster.start({ ...common, preVote: true }) : undefined;
    return { edgernetes, etcd };
  } catch (err) {
    await edgernetes.stop();
    throw err;
  }
}

export async function stopClusters(clusters: Clusters): Promise<void> {
  await Promise.allSettled([clusters.edgernetes.stop(), clusters.etcd?.stop()]);
}

/** statfs magic numbers of the file systems a bench disk is likely to be on. */
const FILESYSTEM_NAMES: Readonly<Record<number, string>> = {
  0xef53: 'ext4',
  0x58465342: 'xfs',
  0x9123683e: 'btrfs',
  0x01021994: 'tmpfs',
  0x794c7630: 'overlayfs',
  0x2fc12fc1: 'zfs',
};

/** Name of the file system `dir` is on (ext4, xfs, …), or its statfs magic number. */
export function filesystemName(dir: string): string {
  const magic = statfsSync(dir).type;
  return FILESYSTEM_NAMES[magic] ?? `statfs type 0x${magic.toString(16)}`;
}

/** The machine a result came from, with the load average when the bench started and ended. */
export function machineSettings(loadAverageAtStart: readonly number[]): Record<string, unknown> {
  const processors = cpus();
  return {
    cpu_model: processors[0]?.model ?? 'unknown',
    cpu_count: processors.length,
    node_version: process.versions.node,
    load_average_1m_at_start: roundSignificant(loadAverageAtStart[0] ?? 0, 3),
    load_average_1m_at_end: roundSignificant(loadavg()[0] ?? 0, 3),
  };
}

/** The settings both clusters ran with, for the results. */
export function clusterSettings(clusters: Clusters, baseDir: string): Record<string, unknown> {
  const ours = clusters.edgernetes.options;
  return {
    base_dir: baseDir,
    base_dir_filesystem: filesystemName(baseDir),
    edgernetes: {
      replicas: clusters.edgernetes.size,
      tick_ms: ours.tickIntervalMs,
      heartbeat_ms: ours.heartbeatIntervalMs,
      election_timeout_ms: ours.electionTimeoutMs,
      fsync: true,
      pre_vote: true,
      node_flags: ours.nodeFlags,
    },
    ...(clusters.etcd === undefined
      ? {}
      : {
          etcd: {
            version: clusters.etcd.version,
            members: clusters.etcd.size,
            heartbeat_ms: clusters.etcd.options.heartbeatIntervalMs,
            election_timeout_ms: clusters.etcd.options.electionTimeoutMs,
            fsync: true,
            pre_vote: clusters.etcd.options.preVote,
          },
        }),
    key_bytes: KEY_BYTES,
    value_bytes: VALUE_BYTES,
  };
}

export interface LoadShape {
  readonly concurrency: number;
  readonly durationMs: number;
  readonly warmupMs: number;
}

/**
 * A system in a load comparison: `prepare` runs outside the measured window
 * before each run (e.g. re-aiming a client at the current leader) and returns
 * the op to drive; `serverPids` are the processes whose CPU time the run is
 * charged with (every replica of the cluster).
 */
export interface LoadSystem {
  readonly prepare: () => Promise<Op>;
  readonly serverPids: () => readonly number[];
}

/** The running members' pids of a cluster. */
export function runningPids(cluster: { readonly pids: readonly (number | undefined)[] }): number[] {
  return cluster.pids.filter((pid): pid is number => pid !== undefined);
}

/**
 * One load run of `system`, with its figures: loadFigures' (throughput named
 * after `noun`) plus `server_cpu_per_op_ms`, the servers' CPU time over the
 * whole run (warm-up included) divided by every op that settled in it.
 */
async function measuredRun(system: LoadSystem, shape: LoadShape, noun: string): Promise<{ result: LoadResult; figures: Figures }> {
  const op = await system.prepare();
  let settled = 0;
  const counted: Op = async (context) => {
    try {
      await op(context);
    } finally {
      settled++;
    }
  };
  const pids = system.serverPids();
  const cpuBeforeMs = totalCpuMs(pids);
  const result = await runLoad(counted, shape);
  const cpuMs = totalCpuMs(pids) - cpuBeforeMs;
  return { result, figures: { ...loadFigures(result, noun), server_cpu_per_op_ms: settled > 0 ? cpuMs / settled : 0 } };
}

/**
 * Primes every system before anything is measured: `seconds` of its load at
 * each concurrency in `concurrencies` (the ones the bench measures), not
 * measured. A server that has run a while is what users meet: the V8 JIT
 * compiles our hot paths (and the load generator's client code) only after
 * thousands of calls, and a cold Node process runs them at half speed or
 * less; etcd, compiled ahead of time, is unaffected. Each load shape takes
 * its own paths (one write in flight never batches; 256 always does), so
 * priming at one concurrency left another's first rounds still compiling:
 * after 5 s at 64 in flight, the first 5 s at 1 in flight optimized ~150 more
 * functions per replica and ran 15 % slower than the rounds after it. Both
 * sides get the same priming. Errors fail the bench (they would skew it).
 */
export async function primeSystems(
  systems: Readonly<Record<string, LoadSystem>>,
  seconds: number,
  concurrencies: readonly number[],
): Promise<void> {
  if (seconds === 0) return;
  for (const [name, system] of Object.entries(systems)) {
    for (const concurrency of concurrencies) {
      const op = await system.prepare();
      const result = await runLoad(op, { concurrency, durationMs: seconds * 1_000 });
      if (result.errors > 0) {
        const failed = `${result.errors} of ${result.errors + result.ops} ops failed, e.g. ${result.errorSamples[0]}`;
        throw new PrimeError(`priming ${name} at ${concurrency} in flight: ${failed}`);
      }
    }
  }
}

/**
 * Runs every system's load `rounds` times, alternating the order (see
 * alternate.ts), and returns per system the median of each figure over the
 * rounds. Errors are counted in the figures and a sample is printed to stderr.
 */
export async function medianLoadFigures(
  systems: Readonly<Record<string, LoadSystem>>,
  shape: LoadShape,
  rounds: number,
  noun: string,
): Promise<Record<string, Figures>> {
  const runOnce = (name: string, system: LoadSystem) => async () => {
    const run = await measuredRun(system, shape, noun);
    reportErrors(name, run.result);
    return run.figures;
  };
  const runs = await runAlternating(
    rounds,
    Object.fromEntries(Object.entries(systems).map(([name, system]) => [name, runOnce(name, system)])),
  );
  return Object.fromEntries(
    Object.entries(runs).map(([name, figures]) => {
      const medians = medianFigures(figures);
      // medianFigures sorts the names; keep the runs' order (throughput first), as people read it.
      return [name, Object.fromEntries(Object.keys(figures[0]!).map((figure) => [figure, medians[figure]!]))];
    }),
  );
}

function reportErrors(system: string, result: LoadResult): void {
  if (result.errors === 0) return;
  console.error(
    `${system}, ${result.concurrency} in flight: ${result.errors} errors of ${result.errors + result.ops}, ` +
      `e.g. ${result.errorSamples[0]}`,
  );
}

/**
 * Per system (among `systems`, those present in `entries`), the values of
 * `figure` across `entries` shaped { <system>: Figures, … } (comparisonEntry's
 * shape); null where an entry lacks it.
 */
export function seriesOf(
  entries: readonly Record<string, unknown>[],
  systems: readonly string[],
  figure: string,
): Record<string, (number | null)[]> {
  return Object.fromEntries(
    systems
      .filter((s) => entries.some((e) => e[s] !== undefined))
      .map((s) => [s, entries.map((e) => (e[s] as Figures | undefined)?.[figure] ?? null)]),
  );
}

/** A chart of `figures` against concurrency, one line per system, from entries keyed by concurrency. */
export function concurrencyChart(
  title: string,
  entries: readonly Record<string, unknown>[],
  systems: readonly string[],
  figures: readonly string[],
): string {
  return lineChartSvg({
    title,
    xLabel: 'concurrency (in flight)',
    categories: entries.map((e) => String(e.concurrency)),
    panels: figures.map((figure) => ({ figure, series: seriesOf(entries, systems, figure) })),
  });
}
