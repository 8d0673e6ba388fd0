/**
 * `npm run bench -- recovery [--vs etcd] [--writes N] [--rounds R] [--snapshot-entries E]
 *  [--base-dir DIR] [--results-dir DIR] [--server-node-flags="FLAGS"]`
 *
 * Recovery (issue 4): how long a replica takes to come back into a 3-member
 * cluster (heartbeat 100 ms, election timeout 1000 ms, fsync, pre-vote) and
 * apply everything the cluster committed, for Edgernetes and, with
 * `--vs etcd`, for etcd under the same workload: N writes (default 100,000) of
 * 256 B values on 16 B keys, 64 in flight through one client preferring the
 * leader, and a snapshot every E applied entries (default 10,000: our
 * --snapshot-entries, etcd's --snapshot-count).
 * - restart: a follower is killed with SIGKILL halfway through N writes, the
 *   other half is written without it, then it restarts on its data dir.
 * - wiped: after N more writes with every member up, a follower is killed and
 *   its data dir emptied; ours restarts with the same id and rejoins as a
 *   learner by itself; etcd's needs MemberRemove + MemberAdd and a start with
 *   --initial-cluster-state=existing, both calls inside its timed window.
 * Each figure is seconds until the member names a leader and its applied
 * index reaches the others' commit index (lib/catch-up.ts; etcd's applied
 * index read from its metrics listener, since etcd 3.4 serves clients only
 * after applying its own publish entry); `<case>_serving_s` is the time until
 * it answers a client Status call. Each round runs
 * every system once on a fresh cluster, in alternating order (A B, B A, …);
 * R rounds (default 3), figures are the medians, with min and max, and
 * `ratio_<figure>` = Edgernetes / etcd. Prints a table, stores
 * bench/results/recovery.{json,svg}, and ends with one line:
 * {"bench":"recovery","writes":N,"rounds":R,"edgernetes":{"restart_catch_up_s":…,"wiped_catch_up_s":…,
 *  "restart_catch_up_min_s":…,…,"restart_serving_s":…,"wiped_serving_s":…},"etcd":{…},
 *  "ratio_restart_catch_up_s":…,"ratio_wiped_catch_up_s":…,…,"each_round":{…},"settings":{…}}
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { runAlternating } from './lib/alternate.js';
import { commonOptions, COMMON_ARG_OPTIONS, positiveInteger, type CommonOptions } from './lib/edgernetes-args.js';
import { ELECTION_TIMEOUT_MS, filesystemName, HEARTBEAT_INTERVAL_MS, machineSettings, VALUE_BYTES } from './lib/edgernetes-compare.js';
import { runEdgernetesRecovery } from './lib/edgernetes-recovery.js';
import { KEY_BYTES } from './lib/etcd-ops.js';
import { runEtcdRecovery } from './lib/etcd-recovery.js';
import { PROBE_INTERVAL_MS } from './lib/process-cluster.js';
import { finishBench } from './lib/report.js';
import { writesBeforeKill, type RecoveryRun, type RecoverySystem, type RecoveryWorkload } from './lib/recovery-run.js';
import { eachRound, recoveryChart, recoveryEntry, recoveryTable, type RunsBySystem } from './lib/recovery-summary.js';

/** Writes in flight through the one client (within our client's session window of 256). */
const CONCURRENCY = 64;
const WRITES_MAX = 10_000_000;
const ROUNDS_MAX = 100;

interface RecoveryOptions extends CommonOptions {
  readonly writes: number;
  readonly rounds: number;
  readonly snapshotEntries: number;
}

function parseOptions(args: string[]): RecoveryOptions {
  const { values } = parseArgs({
    args,
    options: {
      ...COMMON_ARG_OPTIONS,
      writes: { type: 'string', default: '100000' },
      rounds: { type: 'string', default: '3' },
      'snapshot-entries': { type: 'string', default: '10000' },
    },
    strict: true,
  });
  const writes = positiveInteger('writes', values.writes);
  if (writes < 2 || writes > WRITES_MAX) throw new RangeError(`--writes: ${writes} not in 2..${WRITES_MAX}`);
  const rounds = positiveInteger('rounds', values.rounds);
  if (rounds > ROUNDS_MAX) throw new RangeError(`--rounds: ${rounds} is more than ${ROUNDS_MAX}`);
  const snapshotEntries = positiveInteger('snapshot-entries', values['snapshot-entries']);
  return { ...commonOptions(values), writes, rounds, snapshotEntries };
}

/** A system's run, with a progress line on stderr (stdout carries only the table and the JSON line). */
function logged(name: string, system: RecoverySystem, w: RecoveryWorkload, rounds: number): (round: number) => Promise<RecoveryRun> {
  return async (round) => {
    const run = await system(w);
    const s = (x: number) => `${x.toFixed(2)} s`;
    console.error(`recovery round ${round + 1}/${rounds} ${name}: restart ${s(run.restart.catchUpS)}, wiped ${s(run.wiped.catchUpS)}`);
    return run;
  };
}

/** What a reader of the etcd rows must know, printed under the table. */
const ETCD_NOTES = [
  "etcd wiped: etcd's procedure for a lost disk needs two membership calls (MemberRemove, MemberAdd); both are " +
    'inside its timed window (membership calls s), as our replica rejoining as a learner by itself is inside ours.',
  'etcd caught up: its applied index, read from its metrics listener. etcd 3.4 serves clients only after applying ' +
    'its own publish entry; proposed before the member knows a leader, that entry is dropped and retried only ' +
    `after its request timeout (5 s + 2 election timeouts = ${5 + (2 * ELECTION_TIMEOUT_MS) / 1_000} s), ` +
    'which shows in serves clients s, not in caught up s.',
];

function settingsOf(w: RecoveryWorkload, runs: RunsBySystem, loadAverageAtStart: readonly number[]): Record<string, unknown> {
  return {
    base_dir: w.baseDir,
    base_dir_filesystem: filesystemName(w.baseDir),
    ...Object.fromEntries(Object.entries(runs).map(([system, list]) => [system, list[0]!.settings])),
    key_bytes: KEY_BYTES,
    value_bytes: VALUE_BYTES,
    concurrency: w.concurrency,
    restart_killed_after_writes: writesBeforeKill(w),
    fresh_cluster_per_run: true,
    timed_window:
      'from the first step bringing the member back (etcd wiped: MemberRemove) until it names a leader ' +
      "and its applied index reaches the others' commit index (serving: until it answers Status); " +
      `probed every ${PROBE_INTERVAL_MS} ms over a fresh connection`,
    machine: machineSettings(loadAverageAtStart),
  };
}

export async function run(args: string[]): Promise<void> {
  const o = parseOptions(args);
  const loadAverageAtStart = loadavg();
  const workload: RecoveryWorkload = {
    writes: o.writes,
    concurrency: CONCURRENCY,
    valueBytes: VALUE_BYTES,
    snapshotEntries: o.snapshotEntries,
    heartbeatIntervalMs: HEARTBEAT_INTERVAL_MS,
    electionTimeoutMs: ELECTION_TIMEOUT_MS,
    baseDir: o.baseDir,
    serverNodeFlags: o.serverNodeFlags,
  };
  const systems: Record<string, RecoverySystem> = { edgernetes: runEdgernetesRecovery };
  if (o.vsEtcd) systems.etcd = runEtcdRecovery;
  const runs = await runAlternating(
    o.rounds,
    Object.fromEntries(Object.entries(systems).map(([name, system]) => [name, logged(name, system, workload, o.rounds)])),
  );
  const entry = recoveryEntry(o.writes, o.rounds, runs);
  const title =
    `Recovery: a follower back after ${o.writes.toLocaleString('en-US')} writes per case ` +
    `(${VALUE_BYTES} B values, ${CONCURRENCY} in flight, snapshot every ${o.snapshotEntries.toLocaleString('en-US')} entries, ` +
    `${o.rounds} round${o.rounds === 1 ? '' : 's'})`;
  console.log(recoveryTable(title, entry, runs));
  if (o.vsEtcd) for (const line of ETCD_NOTES) console.log(line);
  finishBench({
    bench: 'recovery',
    resultsDir: o.resultsDir,
    svg: recoveryChart(entry, Object.keys(runs)),
    result: { ...entry, each_round: eachRound(runs), settings: settingsOf(workload, runs, loadAverageAtStart) },
  });
}
