/**
 * `npm run bench -- read [--vs etcd] [--seconds S] [--warmup-seconds W] [--rounds R]
 *  [--concurrency 1,16,64,256] [--base-dir DIR] [--results-dir DIR]`
 *
 * Reads (issue 4), the same way as the write bench: the same clusters and
 * settings, the same load generator, alternating rounds, medians. First every
 * bench key (10,000 keys, 256 B values) is written to both systems; then, for
 * each mode and concurrency, gets of those keys:
 * - `linearizable`: our default get (ReadIndex) vs etcd's default Range;
 * - `stale`: our get with `stale` (served from the contacted replica's state)
 *   vs etcd's serializable Range.
 * Systems: `edgernetes` and `etcd` through a client preferring the leader;
 * `edgernetes_all_endpoints` spread evenly over the three replicas (followers
 * serve two thirds: linearizable ones after asking the leader for the read
 * index, stale ones locally). As in the write bench, `server_cpu_per_op_ms`
 * is the CPU time of all three server processes per read.
 * Prints a table, stores bench/results/read.{json,svg}, and ends with one JSON
 * line: {"bench":"read","results":[{"mode":…,"concurrency":…,"edgernetes":{"reads_per_s":…,
 * "p50_ms":…,"p99_ms":…},"etcd":{…},"ratio_reads_per_s":…,"ratio_p99_ms":…},…],"settings":{…}}.
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { loadBenchOptions, LOAD_ARG_OPTIONS, type LoadBenchOptions } from './lib/edgernetes-args.js';
import {
  clusterSettings,
  machineSettings,
  medianLoadFigures,
  seriesOf,
  startClusters,
  stopClusters,
  VALUE_BYTES,
  type Clusters,
  runningPids,
  type LoadSystem,
} from './lib/edgernetes-compare.js';
import { PreloadError } from './lib/edgernetes-errors.js';
import { EdgernetesLoadClients, edgernetesGetOp, edgernetesPutOp } from './lib/edgernetes-ops.js';
import { EtcdClient } from './lib/etcd-client.js';
import { benchValue, etcdPutOp, etcdRangeOp, KEY_BYTES, KEY_SPACE } from './lib/etcd-ops.js';
import { runLoad, type Op } from './lib/loadgen.js';
import { comparisonEntry, comparisonTable, finishBench } from './lib/report.js';
import { lineChartSvg } from './lib/svg-chart.js';

const MODES = ['linearizable', 'stale'] as const;
type Mode = (typeof MODES)[number];
const SYSTEMS = ['edgernetes', 'etcd', 'edgernetes_all_endpoints'] as const;
/** Writes in flight while preloading the keys (not measured). */
const PRELOAD_CONCURRENCY = 64;

/** Writes every bench key once (ops 0..KEY_SPACE-1 cover each key exactly once). */
async function preload(system: string, op: Op): Promise<void> {
  const result = await runLoad(op, { concurrency: PRELOAD_CONCURRENCY, opCount: KEY_SPACE });
  if (result.errors > 0) {
    throw new PreloadError(`preloading ${KEY_SPACE} keys into ${system}: ${result.errors} writes failed, e.g. ${result.errorSamples[0]}`);
  }
}

function readSystems(
  mode: Mode,
  clusters: Clusters,
  ours: EdgernetesLoadClients,
  etcdClient: EtcdClient | undefined,
): Record<string, LoadSystem> {
  const stale = mode === 'stale';
  const ourPids = () => runningPids(clusters.edgernetes);
  const systems: Record<string, LoadSystem> = {
    edgernetes: { prepare: async () => edgernetesGetOp([await ours.toLeader()], { stale }), serverPids: ourPids },
  };
  const etcd = clusters.etcd;
  if (etcd !== undefined && etcdClient !== undefined) {
    systems.etcd = {
      async prepare() {
        etcdClient.prefer(etcd.endpoints[await etcd.leaderIndex()]!);
        return etcdRangeOp(etcdClient, { serializable: stale });
      },
      serverPids: () => runningPids(etcd),
    };
  }
  systems.edgernetes_all_endpoints = { prepare: async () => edgernetesGetOp(ours.spread, { stale }), serverPids: ourPids };
  return systems;
}

async function measure(clusters: Clusters, o: LoadBenchOptions): Promise<Record<string, unknown>[]> {
  const ours = new EdgernetesLoadClients(clusters.edgernetes);
  const etcdClient = clusters.etcd === undefined ? undefined : await EtcdClient.create({ endpoints: clusters.etcd.endpoints });
  try {
    const value = benchValue(VALUE_BYTES);
    await preload('edgernetes', edgernetesPutOp([await ours.toLeader()], value));
    if (etcdClient !== undefined) await preload('etcd', etcdPutOp(etcdClient, value));
    const entries: Record<string, unknown>[] = [];
    for (const mode of MODES) {
      const systems = readSystems(mode, clusters, ours, etcdClient);
      for (const concurrency of o.concurrencies) {
        const shape = { concurrency, durationMs: o.seconds * 1_000, warmupMs: o.warmupSeconds * 1_000 };
        entries.push(comparisonEntry({ mode, concurrency }, await medianLoadFigures(systems, shape, o.rounds, 'reads')));
      }
    }
    return entries;
  } finally {
    ours.close();
    etcdClient?.close();
  }
}

/** One panel per mode and figure, each against concurrency. */
function chart(entries: readonly Record<string, unknown>[], concurrencies: readonly number[]): string {
  return lineChartSvg({
    title: `Reads of ${VALUE_BYTES} B values, linearizable and stale`,
    xLabel: 'concurrency (in flight)',
    categories: concurrencies.map(String),
    panels: MODES.flatMap((mode) =>
      ['reads_per_s', 'p99_ms'].map((figure) => ({
        figure: `${mode} ${figure}`,
        series: seriesOf(
          entries.filter((e) => e.mode === mode),
          SYSTEMS,
          figure,
        ),
      })),
    ),
  });
}

export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: LOAD_ARG_OPTIONS, strict: true });
  const o = loadBenchOptions(values);
  const loadAverageAtStart = loadavg();
  const clusters = await startClusters(o);
  try {
    const entries = await measure(clusters, o);
    const title =
      `Reads: get of ${KEY_SPACE} keys (${KEY_BYTES} B) holding ${VALUE_BYTES} B values, 3 replicas; closed loop, ` +
      `median of ${o.rounds} alternating round(s) of ${o.seconds} s`;
    for (const mode of MODES) {
      console.log(comparisonTable(`${title}: ${mode}`, 'concurrency', entries.filter((e) => e.mode === mode)));
    }
    const settings = {
      ...clusterSettings(clusters, o.baseDir),
      keys_count: KEY_SPACE,
      etcd_modes: { linearizable: 'Range', stale: 'Range serializable' },
      run_s: o.seconds,
      warmup_s: o.warmupSeconds,
      rounds: o.rounds,
      machine: machineSettings(loadAverageAtStart),
    };
    finishBench({ bench: 'read', resultsDir: o.resultsDir, svg: chart(entries, o.concurrencies), result: { results: entries, settings } });
  } finally {
    await stopClusters(clusters);
  }
}
