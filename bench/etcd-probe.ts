/**
 * `npm run bench -- etcd-probe [--seconds S] [--warmup-seconds W] [--concurrency 1,16,64,256]
 *  [--rounds R] [--attempt-timeout-ms T] [--results-dir DIR]`
 *
 * A sanity check of the etcd side of the harness, before Edgernetes is plugged
 * in: starts a 3-member etcd cluster (heartbeat 100 ms, election 1000 ms,
 * fsync on), drives it with the closed-loop load generator (Put, 16 B keys,
 * 256 B values, to the leader) at each concurrency, then measures failover
 * (kill -9 the leader; time to the first acknowledged Put through a client
 * holding all endpoints) over R rounds. Prints tables, stores
 * bench/results/etcd-probe.{json,svg}, and ends with one JSON line.
 */
import { parseArgs } from 'node:util';
import { EtcdClient } from './lib/etcd-client.js';
import { EtcdCluster } from './lib/etcd-cluster.js';
import { benchValue, etcdFailoverTarget, etcdPutOp, KEY_BYTES } from './lib/etcd-ops.js';
import { measureFailover, type FailoverSummary } from './lib/failover.js';
import { runLoad } from './lib/loadgen.js';
import { comparisonEntry, comparisonTable, finishBench, loadFigures, plainTable } from './lib/report.js';
import { roundSignificant, type Figures } from './lib/stats.js';
import { lineChartSvg } from './lib/svg-chart.js';

const VALUE_BYTES = 256;
/** Bound on one failover round's write, retries included. */
const FAILOVER_CALL_TIMEOUT_MS = 30_000;

interface ProbeOptions {
  readonly seconds: number;
  readonly warmupSeconds: number;
  readonly concurrencies: readonly number[];
  readonly rounds: number;
  readonly attemptTimeoutMs: number;
  readonly resultsDir: string | undefined;
}

function positive(name: string, text: string): number {
  const value = Number(text);
  if (!(Number.isFinite(value) && value > 0)) throw new RangeError(`--${name}: ${text} is not a positive number`);
  return value;
}

function positiveInteger(name: string, text: string): number {
  const value = positive(name, text);
  if (!Number.isInteger(value)) throw new RangeError(`--${name}: ${text} is not an integer`);
  return value;
}

function nonNegative(name: string, text: string): number {
  const value = Number(text);
  if (!(Number.isFinite(value) && value >= 0)) throw new RangeError(`--${name}: ${text} is not a number >= 0`);
  return value;
}

function parseOptions(args: string[]): ProbeOptions {
  const { values } = parseArgs({
    args,
    options: {
      seconds: { type: 'string', default: '3' },
      'warmup-seconds': { type: 'string', default: '1' },
      concurrency: { type: 'string', default: '1,16,64,256' },
      rounds: { type: 'string', default: '5' },
      'attempt-timeout-ms': { type: 'string', default: '250' },
      'results-dir': { type: 'string' },
    },
    strict: true,
  });
  return {
    seconds: positive('seconds', values.seconds),
    warmupSeconds: nonNegative('warmup-seconds', values['warmup-seconds']),
    concurrencies: values.concurrency.split(',').map((c) => positiveInteger('concurrency', c)),
    rounds: positiveInteger('rounds', values.rounds),
    attemptTimeoutMs: positive('attempt-timeout-ms', values['attempt-timeout-ms']),
    resultsDir: values['results-dir'],
  };
}

async function writeLoad(cluster: EtcdCluster, o: ProbeOptions): Promise<Record<string, unknown>[]> {
  const client = await EtcdClient.create({ endpoints: cluster.endpoints });
  const value = benchValue(VALUE_BYTES);
  const entries: Record<string, unknown>[] = [];
  try {
    client.prefer(cluster.endpoints[await cluster.leaderIndex()]!);
    for (const concurrency of o.concurrencies) {
      const result = await runLoad(etcdPutOp(client, value), {
        concurrency,
        durationMs: o.seconds * 1_000,
        warmupMs: o.warmupSeconds * 1_000,
      });
      if (result.errors > 0) {
        console.error(`etcd, ${concurrency} in flight: ${result.errors} errors, e.g. ${result.errorSamples[0]}`);
      }
      entries.push(comparisonEntry({ concurrency }, { etcd: loadFigures(result, 'writes') }));
    }
  } finally {
    client.close();
  }
  const title = `etcd ${cluster.version}: Put ${KEY_BYTES} B keys, ${VALUE_BYTES} B values, to the leader`;
  console.log(comparisonTable(`${title}, closed loop, ${o.seconds} s each`, 'concurrency', entries));
  return entries;
}

async function failover(cluster: EtcdCluster, o: ProbeOptions): Promise<Figures> {
  const client = await EtcdClient.create({
    endpoints: cluster.endpoints,
    callTimeoutMs: FAILOVER_CALL_TIMEOUT_MS,
    attemptTimeoutMs: o.attemptTimeoutMs,
  });
  let summary: FailoverSummary;
  try {
    summary = await measureFailover(etcdFailoverTarget(cluster, client, benchValue(VALUE_BYTES)), o.rounds);
  } finally {
    client.close();
  }
  const figures = { median_ms: roundSignificant(summary.median_ms), max_ms: roundSignificant(summary.max_ms) };
  const title = `etcd failover: kill -9 the leader → first acknowledged Put (attempt timeout ${o.attemptTimeoutMs} ms)`;
  const rounds = summary.rounds_ms.map((t) => Math.round(t)).join(' ');
  console.log(
    plainTable(title, ['rounds', 'median ms', 'max ms', 'each round ms'], [
      [summary.rounds, figures.median_ms, figures.max_ms, rounds],
    ]),
  );
  return figures;
}

function chart(writes: readonly Record<string, unknown>[]): string {
  return lineChartSvg({
    title: `etcd probe: Put, ${VALUE_BYTES} B values`,
    xLabel: 'concurrency (in flight)',
    categories: writes.map((w) => String(w.concurrency)),
    panels: ['writes_per_s', 'p50_ms', 'p99_ms'].map((figure) => ({
      figure,
      series: { etcd: writes.map((w) => (w.etcd as Figures)[figure] ?? null) },
    })),
  });
}

export async function run(args: string[]): Promise<void> {
  const o = parseOptions(args);
  const cluster = await EtcdCluster.start();
  try {
    const writes = await writeLoad(cluster, o);
    const failoverFigures = await failover(cluster, o);
    const settings = {
      etcd_version: cluster.version,
      members: cluster.size,
      heartbeat_ms: cluster.options.heartbeatIntervalMs,
      election_timeout_ms: cluster.options.electionTimeoutMs,
      pre_vote: cluster.options.preVote,
      key_bytes: KEY_BYTES,
      value_bytes: VALUE_BYTES,
      run_s: o.seconds,
      warmup_s: o.warmupSeconds,
      failover_attempt_timeout_ms: o.attemptTimeoutMs,
    };
    finishBench({
      bench: 'etcd-probe',
      resultsDir: o.resultsDir,
      svg: chart(writes),
      result: { settings, results: writes, failover: { rounds: o.rounds, etcd: failoverFigures } },
    });
  } finally {
    await cluster.stop();
  }
}
