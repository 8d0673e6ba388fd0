/**
 * `npm run bench -- read [--vs etcd] [--seconds S] [--warmup-seconds W] [--prime-seconds P] [--rounds R]
 *  [--concurrency 1,16,64,256] [--base-dir DIR] [--results-dir DIR] [--server-node-flags="FLAGS"]`
 *
 * Reads (issue 4), the same way as the write bench: the same clusters and
 * settings, the same load generator, alternating rounds, medians. First every
 * bench key (10,000 keys, 256 B values) is written to both systems; then, for
 * each mode and concurrency, gets of those keys:
 * - `linearizable`: our default get (ReadIndex) vs etcd's default Range;
 * - `stale`: our get with `stale` (served from the contacted replica's state)
 *   vs etcd's serializable Range.
 * Systems: `edgernetes` and `etcd` through a client preferring the leader;
 * `edgernetes_unary` as `edgernetes` but every call unary (as etcd's clients);
 * `edgernetes_all_endpoints` spread evenly over the three replicas (followers
 * serve two thirds: linearizable ones after asking the leader for the read
 * index, stale ones locally). Before each mode's first run every system is
 * primed with P seconds of its reads at each concurrency it measures
 * (unmeasured), as the write bench does. As in the write bench, `server_cpu_per_op_ms`
 * is the CPU time of all three server processes per read.
 * Prints a table, stores bench/results/read.{json,svg}, and ends with one JSON
 * line: {"bench":"read","results":[{"mode":…,"concurrency":…,"edgernetes":{"reads_per_s":…,
 * "p50_ms":…,"p99_ms":…},"etcd":{…},"ratio_reads_per_s":…,"ratio_p99_ms":…},…],"settings":{…}}.
 */
import type { LoadBenchOptions } from './lib/edgernetes-args.js';
import { medianLoadFigures, primeSystems, seriesOf, VALUE_BYTES, type Clusters } from './lib/edgernetes-compare.js';
import { PreloadError } from './lib/edgernetes-errors.js';
import { edgernetesGetOp, edgernetesPutOp } from './lib/edgernetes-ops.js';
import { benchValue, etcdPutOp, etcdRangeOp, KEY_BYTES, KEY_SPACE } from './lib/etcd-ops.js';
import {
  COMPARED_SYSTEMS,
  comparedSystems,
  loadSettings,
  loadShape,
  runLoadBench,
  withComparisonClients,
  type ComparisonClients,
} from './lib/load-comparison.js';
import { runLoad, type Op } from './lib/loadgen.js';
import { comparisonEntry, comparisonTable, finishBench } from './lib/report.js';
import { lineChartSvg } from './lib/svg-chart.js';

const MODES = ['linearizable', 'stale'] as const;
/** Writes in flight while preloading the keys (not measured). */
const PRELOAD_CONCURRENCY = 64;

/** Writes every bench key once (ops 0..KEY_SPACE-1 cover each key exactly once). */
async function preload(system: string, op: Op): Promise<void> {
  const result = await runLoad(op, { concurrency: PRELOAD_CONCURRENCY, opCount: KEY_SPACE });
  if (result.errors > 0) {
    throw new PreloadError(`preloading ${KEY_SPACE} keys into ${system}: ${result.errors} writes failed, e.g. ${result.errorSamples[0]}`);
  }
}

async function preloadAll(clients: ComparisonClients): Promise<void> {
  const value = benchValue(VALUE_BYTES);
  await preload('edgernetes', edgernetesPutOp([await clients.ours.toLeader()], value));
  if (clients.etcd !== undefined) await preload('etcd', etcdPutOp(clients.etcd, value));
}

async function measure(clusters: Clusters, o: LoadBenchOptions): Promise<Record<string, unknown>[]> {
  return withComparisonClients(clusters, async (clients) => {
    await preloadAll(clients);
    const entries: Record<string, unknown>[] = [];
    for (const mode of MODES) {
      const stale = mode === 'stale';
      const systems = comparedSystems(clusters, clients, {
        edgernetes: (ours) => edgernetesGetOp(ours, { stale }),
        etcd: (etcdClient) => etcdRangeOp(etcdClient, { serializable: stale }),
      });
      await primeSystems(systems, o.primeSeconds, o.concurrencies);
      for (const concurrency of o.concurrencies) {
        const figures = await medianLoadFigures(systems, loadShape(o, concurrency), o.rounds, 'reads');
        entries.push(comparisonEntry({ mode, concurrency }, figures));
      }
    }
    return entries;
  });
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
          COMPARED_SYSTEMS,
          figure,
        ),
      })),
    ),
  });
}

export async function run(args: string[]): Promise<void> {
  await runLoadBench(args, async (clusters, o, loadAverageAtStart) => {
    const entries = await measure(clusters, o);
    const title =
      `Reads: get of ${KEY_SPACE} keys (${KEY_BYTES} B) holding ${VALUE_BYTES} B values, 3 replicas; closed loop, ` +
      `median of ${o.rounds} alternating round(s) of ${o.seconds} s`;
    for (const mode of MODES) {
      console.log(comparisonTable(`${title}: ${mode}`, 'concurrency', entries.filter((e) => e.mode === mode)));
    }
    const settings = loadSettings(clusters, o, loadAverageAtStart, {
      keys_count: KEY_SPACE,
      etcd_modes: { linearizable: 'Range', stale: 'Range serializable' },
    });
    finishBench({ bench: 'read', resultsDir: o.resultsDir, svg: chart(entries, o.concurrencies), result: { results: entries, settings } });
  });
}
