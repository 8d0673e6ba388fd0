/**
 * `npm run bench -- write [--vs etcd] [--seconds S] [--warmup-seconds W] [--rounds R]
 *  [--concurrency 1,16,64,256] [--base-dir DIR] [--results-dir DIR]`
 *
 * Replicated writes (issues 3 and 4): a 3-replica Edgernetes cluster and, with
 * `--vs etcd`, a 3-member etcd cluster, on loopback, data on the same disk,
 * same heartbeat (100 ms) and election timeout (1000 ms), both with fsync and
 * pre-vote, driven by the same closed-loop load generator: our KV put vs
 * etcd's KV Put, 16 B keys, 256 B values, at each concurrency. Systems:
 * - `edgernetes`: one client preferring the leader (writes go straight to it);
 * - `etcd`: one client preferring the leader (as etcd-probe);
 * - `edgernetes_all_endpoints`: writes spread evenly over all three replicas
 *   (clients holding all endpoints, each preferring another replica), so two
 *   thirds are forwarded by followers to the leader.
 * Each concurrency runs R alternating rounds (A B C, C B A, …); the figures
 * are the medians over rounds, and `ratio_<figure>` = edgernetes / etcd.
 * Besides throughput and latency, `server_cpu_per_op_ms`: the CPU time of all
 * three server processes per write, which the load of other users on a shared
 * machine hardly moves (see edgernetes-cpu.ts).
 * Prints a table, stores bench/results/write.{json,svg}, and ends with one
 * JSON line: {"bench":"write","results":[{"concurrency":…,"edgernetes":{…},"etcd":{…},
 * …,"ratio_writes_per_s":…,"ratio_p99_ms":…},…],"settings":{…}}.
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { loadBenchOptions, LOAD_ARG_OPTIONS, type LoadBenchOptions } from './lib/edgernetes-args.js';
import {
  clusterSettings,
  concurrencyChart,
  machineSettings,
  medianLoadFigures,
  startClusters,
  stopClusters,
  VALUE_BYTES,
  type Clusters,
  runningPids,
  type LoadSystem,
} from './lib/edgernetes-compare.js';
import { EdgernetesLoadClients, edgernetesPutOp } from './lib/edgernetes-ops.js';
import { EtcdClient } from './lib/etcd-client.js';
import { benchValue, etcdPutOp, KEY_BYTES } from './lib/etcd-ops.js';
import { comparisonEntry, comparisonTable, finishBench } from './lib/report.js';

const SYSTEMS = ['edgernetes', 'etcd', 'edgernetes_all_endpoints'] as const;

/** The systems of one comparison, each re-aimed at the current leader before every run. */
function writeSystems(clusters: Clusters, ours: EdgernetesLoadClients, etcdClient: EtcdClient | undefined): Record<string, LoadSystem> {
  const value = benchValue(VALUE_BYTES);
  const ourPids = () => runningPids(clusters.edgernetes);
  const systems: Record<string, LoadSystem> = {
    edgernetes: { prepare: async () => edgernetesPutOp([await ours.toLeader()], value), serverPids: ourPids },
  };
  const etcd = clusters.etcd;
  if (etcd !== undefined && etcdClient !== undefined) {
    systems.etcd = {
      async prepare() {
        etcdClient.prefer(etcd.endpoints[await etcd.leaderIndex()]!);
        return etcdPutOp(etcdClient, value);
      },
      serverPids: () => runningPids(etcd),
    };
  }
  systems.edgernetes_all_endpoints = { prepare: async () => edgernetesPutOp(ours.spread, value), serverPids: ourPids };
  return systems;
}

async function measure(clusters: Clusters, o: LoadBenchOptions): Promise<Record<string, unknown>[]> {
  const ours = new EdgernetesLoadClients(clusters.edgernetes);
  const etcdClient = clusters.etcd === undefined ? undefined : await EtcdClient.create({ endpoints: clusters.etcd.endpoints });
  try {
    const systems = writeSystems(clusters, ours, etcdClient);
    const entries: Record<string, unknown>[] = [];
    for (const concurrency of o.concurrencies) {
      const shape = { concurrency, durationMs: o.seconds * 1_000, warmupMs: o.warmupSeconds * 1_000 };
      entries.push(comparisonEntry({ concurrency }, await medianLoadFigures(systems, shape, o.rounds, 'writes')));
    }
    return entries;
  } finally {
    ours.close();
    etcdClient?.close();
  }
}

export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: LOAD_ARG_OPTIONS, strict: true });
  const o = loadBenchOptions(values);
  const loadAverageAtStart = loadavg();
  const clusters = await startClusters(o);
  try {
    const entries = await measure(clusters, o);
    const title =
      `Replicated writes: put ${KEY_BYTES} B keys, ${VALUE_BYTES} B values, 3 replicas, fsync; closed loop, ` +
      `median of ${o.rounds} alternating round(s) of ${o.seconds} s`;
    console.log(comparisonTable(title, 'concurrency', entries));
    const settings = {
      ...clusterSettings(clusters, o.baseDir),
      run_s: o.seconds,
      warmup_s: o.warmupSeconds,
      rounds: o.rounds,
      machine: machineSettings(loadAverageAtStart),
    };
    finishBench({
      bench: 'write',
      resultsDir: o.resultsDir,
      svg: concurrencyChart(`Replicated writes, ${VALUE_BYTES} B values`, entries, SYSTEMS, ['writes_per_s', 'p50_ms', 'p99_ms']),
      result: { results: entries, settings },
    });
  } finally {
    await stopClusters(clusters);
  }
}
