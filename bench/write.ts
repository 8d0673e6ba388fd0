/**
 * `npm run bench -- write [--vs etcd] [--seconds S] [--warmup-seconds W] [--prime-seconds P] [--rounds R]
 *  [--concurrency 1,16,64,256] [--base-dir DIR] [--results-dir DIR] [--server-node-flags="FLAGS"]`
 *
 * Replicated writes (issues 3 and 4): a 3-replica Edgernetes cluster and, with
 * `--vs etcd`, a 3-member etcd cluster, on loopback, data on the same disk,
 * same heartbeat (100 ms) and election timeout (1000 ms), both with fsync and
 * pre-vote, driven by the same closed-loop load generator: our KV put vs
 * etcd's KV Put, 16 B keys, 256 B values, at each concurrency. Systems:
 * - `edgernetes`: one client preferring the leader (writes go straight to it);
 * - `etcd`: one client preferring the leader (as etcd-probe);
 * - `edgernetes_unary`: the same client as `edgernetes` with `pipeline: false`: every
 *   write a unary call, as etcd's clients make them (see bench/grpc.ts for the cost);
 * - `edgernetes_all_endpoints`: writes spread evenly over all three replicas
 *   (clients holding all endpoints, each preferring another replica), so two
 *   thirds are forwarded by followers to the leader.
 * First every system is primed: P seconds (default 5) of writes at each
 * concurrency it measures (unmeasured), so both are measured as long-running
 * servers (primeSystems).
 * Each concurrency runs R alternating rounds (A B C, C B A, …); the figures
 * are the medians over rounds, and `ratio_<figure>` = edgernetes / etcd.
 * Besides throughput and latency, `server_cpu_per_op_ms`: the CPU time of all
 * three server processes per write, which the load of other users on a shared
 * machine hardly moves (see edgernetes-cpu.ts).
 * Prints a table, stores bench/results/write.{json,svg}, and ends with one
 * JSON line: {"bench":"write","results":[{"concurrency":…,"edgernetes":{…},"etcd":{…},
 * …,"ratio_writes_per_s":…,"ratio_p99_ms":…},…],"settings":{…}}.
 */
import { concurrencyChart, medianLoadFigures, primeSystems, VALUE_BYTES, type Clusters } from './lib/edgernetes-compare.js';
import type { LoadBenchOptions } from './lib/edgernetes-args.js';
import { edgernetesPutOp } from './lib/edgernetes-ops.js';
import { benchValue, etcdPutOp, KEY_BYTES } from './lib/etcd-ops.js';
import { COMPARED_SYSTEMS, comparedSystems, loadSettings, loadShape, runLoadBench, withComparisonClients } from './lib/load-comparison.js';
import { comparisonEntry, comparisonTable, finishBench } from './lib/report.js';

async function measure(clusters: Clusters, o: LoadBenchOptions): Promise<Record<string, unknown>[]> {
  const value = benchValue(VALUE_BYTES);
  return withComparisonClients(clusters, async (clients) => {
    const systems = comparedSystems(clusters, clients, {
      edgernetes: (ours) => edgernetesPutOp(ours, value),
      etcd: (etcdClient) => etcdPutOp(etcdClient, value),
    });
    await primeSystems(systems, o.primeSeconds, o.concurrencies);
    const entries: Record<string, unknown>[] = [];
    for (const concurrency of o.concurrencies) {
      entries.push(comparisonEntry({ concurrency }, await medianLoadFigures(systems, loadShape(o, concurrency), o.rounds, 'writes')));
    }
    return entries;
  });
}

export async function run(args: string[]): Promise<void> {
  await runLoadBench(args, async (clusters, o, loadAverageAtStart) => {
    const entries = await measure(clusters, o);
    const title =
      `Replicated writes: put ${KEY_BYTES} B keys, ${VALUE_BYTES} B values, 3 replicas, fsync; closed loop, ` +
      `median of ${o.rounds} alternating round(s) of ${o.seconds} s`;
    console.log(comparisonTable(title, 'concurrency', entries));
    finishBench({
      bench: 'write',
      resultsDir: o.resultsDir,
      svg: concurrencyChart(`Replicated writes, ${VALUE_BYTES} B values`, entries, COMPARED_SYSTEMS, ['writes_per_s', 'p50_ms', 'p99_ms']),
      result: { results: entries, settings: loadSettings(clusters, o, loadAverageAtStart) },
    });
  });
}
