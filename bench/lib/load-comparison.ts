/**
 * What the load benches (read.ts, write.ts) share: the command line and the
 * clusters' life, the three systems they compare (ours through a client
 * preferring the leader, etcd likewise, ours spread over every replica), the
 * clients those go through, and the settings they report. A bench supplies
 * only its ops and how it measures and reports them.
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import type { EdgernetesClient } from '../../src/client/client.js';
import { loadBenchOptions, LOAD_ARG_OPTIONS, type LoadBenchOptions } from './edgernetes-args.js';
import {
  clusterSettings,
  machineSettings,
  runningPids,
  startClusters,
  stopClusters,
  type Clusters,
  type LoadShape,
  type LoadSystem,
} from './edgernetes-compare.js';
import { EdgernetesLoadClients } from './edgernetes-ops.js';
import { EtcdClient } from './etcd-client.js';
import type { Op } from './loadgen.js';

/**
 * The systems of a load comparison, in the order they are reported:
 * - `edgernetes`: our client (pipelined calls) preferring the leader;
 * - `etcd`: etcd's KV through a client preferring its leader (unary calls, as etcd's own clients);
 * - `edgernetes_unary`: our client preferring the leader with `pipeline: false`, i.e. unary calls
 *   like etcd's, to tell the server's share of a difference from the client protocol's;
 * - `edgernetes_all_endpoints`: our clients spread over every replica (followers forward writes).
 */
export const COMPARED_SYSTEMS = ['edgernetes', 'etcd', 'edgernetes_unary', 'edgernetes_all_endpoints'] as const;

/** The clients of one comparison; `etcd` is undefined without `--vs etcd`. */
export interface ComparisonClients {
  readonly ours: EdgernetesLoadClients;
  readonly etcd: EtcdClient | undefined;
}

/** The op each system drives: ours through the given clients (one op per sequence, round robin), etcd's. */
export interface ComparedOps {
  readonly edgernetes: (clients: readonly EdgernetesClient[]) => Op;
  readonly etcd: (client: EtcdClient) => Op;
}

/**
 * The systems of one comparison, each re-aimed at the current leader before
 * every run (outside the measured window); every run is charged with the CPU
 * time of all the cluster's server processes.
 */
export function comparedSystems(clusters: Clusters, clients: ComparisonClients, ops: ComparedOps): Record<string, LoadSystem> {
  const ourPids = () => runningPids(clusters.edgernetes);
  const systems: Record<string, LoadSystem> = {
    edgernetes: { prepare: async () => ops.edgernetes([await clients.ours.toLeader()]), serverPids: ourPids },
  };
  const etcd = clusters.etcd;
  const etcdClient = clients.etcd;
  if (etcd !== undefined && etcdClient !== undefined) {
    systems.etcd = {
      async prepare() {
        etcdClient.prefer(etcd.endpoints[await etcd.leaderIndex()]!);
        return ops.etcd(etcdClient);
      },
      serverPids: () => runningPids(etcd),
    };
  }
  systems.edgernetes_unary = { prepare: async () => ops.edgernetes([await clients.ours.toLeader(false)]), serverPids: ourPids };
  systems.edgernetes_all_endpoints = { prepare: async () => ops.edgernetes(clients.ours.spread), serverPids: ourPids };
  return systems;
}

/** Runs `body` with the comparison's clients, which are closed afterwards. */
export async function withComparisonClients<T>(clusters: Clusters, body: (clients: ComparisonClients) => Promise<T>): Promise<T> {
  const ours = new EdgernetesLoadClients(clusters.edgernetes);
  const etcd = clusters.etcd === undefined ? undefined : await EtcdClient.create({ endpoints: clusters.etcd.endpoints });
  try {
    return await body({ ours, etcd });
  } finally {
    ours.close();
    etcd?.close();
  }
}

/** The load of one run at `concurrency`, with the bench's duration and warm-up. */
export function loadShape(o: LoadBenchOptions, concurrency: number): LoadShape {
  return { concurrency, durationMs: o.seconds * 1_000, warmupMs: o.warmupSeconds * 1_000 };
}

/** What a load bench reports under "settings": the clusters', `extra`, the load's, the machine's. */
export function loadSettings(
  clusters: Clusters,
  o: LoadBenchOptions,
  loadAverageAtStart: readonly number[],
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    ...clusterSettings(clusters, o.baseDir),
    ...extra,
    run_s: o.seconds,
    warmup_s: o.warmupSeconds,
    prime_s: o.primeSeconds,
    prime_concurrencies: o.concurrencies,
    rounds: o.rounds,
    machine: machineSettings(loadAverageAtStart),
  };
}

/**
 * Parses a load bench's command line, starts the clusters, runs `body` with
 * them and the machine's load average at start, and stops them whatever happens.
 */
export async function runLoadBench(
  args: string[],
  body: (clusters: Clusters, o: LoadBenchOptions, loadAverageAtStart: readonly number[]) => Promise<void>,
): Promise<void> {
  const { values } = parseArgs({ args, options: LOAD_ARG_OPTIONS, strict: true });
  const o = loadBenchOptions(values);
  const loadAverageAtStart = loadavg();
  const clusters = await startClusters(o);
  try {
    await body(clusters, o, loadAverageAtStart);
  } finally {
    await stopClusters(clusters);
  }
}
