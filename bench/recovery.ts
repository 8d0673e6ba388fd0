/**
 * `npm run bench -- recovery [--writes N] [--snapshot-entries E] [--base-dir DIR] [--results-dir DIR]`
 *
 * Recovery (issue 4): how long a replica takes to rejoin a 3-replica cluster
 * (heartbeat 100 ms, election timeout 1000 ms, fsync, pre-vote) and apply
 * everything it committed. Writes are 256 B values on 16 B keys, 64 in flight
 * through one client preferring the leader; N defaults to 100,000.
 * - restart: a follower is killed with SIGKILL halfway through N writes (so it
 *   has a WAL and snapshots of its own to replay), the other half is written
 *   without it, then it restarts on its data dir and catches up (its WAL, then
 *   the leader's entries or snapshot).
 * - wiped: after N more writes with every replica up, the same follower is
 *   killed, its data dir emptied, and it restarts with the same id: it finds
 *   the cluster running, rejoins as a learner and catches up by snapshot.
 * Each figure is seconds from the restart until the replica's applied index
 * (its own Status, localOnly) reaches the others' commit index (see
 * lib/edgernetes-recovery.ts). The servers compact every E applied entries;
 * EdgernetesCluster passes no --snapshot-entries flag, so E can only be the
 * server's default (10,000), checked here and reported.
 * Prints a table, stores bench/results/recovery.json, and ends with one line:
 * {"bench":"recovery","writes":N,"restart_catch_up_s":…,"wiped_catch_up_s":…,"cases":{…},"settings":{…}}
 */
import { loadavg, tmpdir } from 'node:os';
import { parseArgs } from 'node:util';
import { EdgernetesClient } from '../src/client/client.js';
import { positiveInteger } from './lib/edgernetes-args.js';
import { EdgernetesCluster } from './lib/edgernetes-cluster.js';
import { clusterSettings, ELECTION_TIMEOUT_MS, HEARTBEAT_INTERVAL_MS, machineSettings, VALUE_BYTES } from './lib/edgernetes-compare.js';
import { ownIndexes, restartAndCatchUp, wipeDataDir, writeBatch, type CatchUp } from './lib/edgernetes-recovery.js';
import { benchValue } from './lib/etcd-ops.js';
import { finishBench, plainTable } from './lib/report.js';
import { roundSignificant } from './lib/stats.js';

/** Writes in flight through the one client (within its session window of 256). */
const CONCURRENCY = 64;
const WRITES_MAX = 10_000_000;
/** `edgernetes server --snapshot-entries` default: the only value EdgernetesCluster runs the servers with. */
const SERVER_SNAPSHOT_ENTRIES = 10_000;

interface RecoveryOptions {
  readonly writes: number;
  readonly snapshotEntries: number;
  readonly baseDir: string;
  readonly resultsDir: string | undefined;
}

function parseOptions(args: string[]): RecoveryOptions {
  const { values } = parseArgs({
    args,
    options: {
      writes: { type: 'string', default: '100000' },
      'snapshot-entries': { type: 'string', default: String(SERVER_SNAPSHOT_ENTRIES) },
      'base-dir': { type: 'string', default: tmpdir() },
      'results-dir': { type: 'string' },
    },
    strict: true,
  });
  const writes = positiveInteger('writes', values.writes);
  if (writes < 2 || writes > WRITES_MAX) throw new RangeError(`--writes: ${writes} not in 2..${WRITES_MAX}`);
  const snapshotEntries = positiveInteger('snapshot-entries', values['snapshot-entries']);
  if (snapshotEntries !== SERVER_SNAPSHOT_ENTRIES) {
    throw new RangeError(
      `--snapshot-entries: only ${SERVER_SNAPSHOT_ENTRIES} (the server's default) is supported: ` +
        'bench/lib/edgernetes-cluster.ts starts the servers without that flag',
    );
  }
  return { writes, snapshotEntries, baseDir: values['base-dir'], resultsDir: values['results-dir'] };
}

interface CaseResult extends CatchUp {
  /** Entries the replica lacked when it restarted: the commit index reached minus what it had applied. */
  readonly entriesBehind: number;
}

/** Case restart: kill -9 a follower halfway through the writes, write the rest, restart it. */
async function restartCase(cluster: EdgernetesCluster, client: EdgernetesClient, follower: number, o: RecoveryOptions): Promise<CaseResult> {
  const value = benchValue(VALUE_BYTES);
  const firstHalf = Math.floor(o.writes / 2);
  await writeBatch(client, value, firstHalf, CONCURRENCY);
  const appliedAtKill = ownIndexes(await cluster.status(follower)).appliedIndex;
  await cluster.kill(follower);
  await writeBatch(client, value, o.writes - firstHalf, CONCURRENCY);
  const catchUp = await restartAndCatchUp(cluster, follower);
  return { ...catchUp, entriesBehind: catchUp.commitIndex - appliedAtKill };
}

/** Case wiped: N writes with every replica up, then kill the follower, empty its data dir, restart it. */
async function wipedCase(cluster: EdgernetesCluster, client: EdgernetesClient, follower: number, o: RecoveryOptions): Promise<CaseResult> {
  await writeBatch(client, benchValue(VALUE_BYTES), o.writes, CONCURRENCY);
  await cluster.kill(follower);
  wipeDataDir(cluster, follower);
  const catchUp = await restartAndCatchUp(cluster, follower);
  return { ...catchUp, entriesBehind: catchUp.commitIndex };
}

function caseFigures(r: CaseResult): Record<string, number> {
  return {
    catch_up_s: roundSignificant(r.catchUpS),
    follow_leader_s: roundSignificant(r.followLeaderS),
    entries_behind_count: r.entriesBehind,
    commit_index_count: r.commitIndex,
  };
}

function printTable(restart: CaseResult, wiped: CaseResult, o: RecoveryOptions): void {
  const title =
    `Recovery: a follower restarted after ${o.writes.toLocaleString('en-US')} writes ` +
    `(${VALUE_BYTES} B values, ${CONCURRENCY} in flight, snapshot every ${o.snapshotEntries.toLocaleString('en-US')} entries)`;
  const row = (name: string, r: CaseResult) => [name, r.entriesBehind, r.followLeaderS, r.catchUpS];
  console.log(
    plainTable(title, ['case', 'entries behind', 'follows leader s', 'caught up s'], [
      row('restart (kill -9 halfway, WAL replay + catch-up)', restart),
      row('wiped (empty data dir, rejoin by snapshot)', wiped),
    ]),
  );
}

export async function run(args: string[]): Promise<void> {
  const o = parseOptions(args);
  const loadAverageAtStart = loadavg();
  const cluster = await EdgernetesCluster.start({
    size: 3,
    heartbeatIntervalMs: HEARTBEAT_INTERVAL_MS,
    electionTimeoutMs: ELECTION_TIMEOUT_MS,
    baseDir: o.baseDir,
  });
  try {
    const leader = await cluster.leaderIndex();
    const follower = (leader + 1) % cluster.size;
    const client = new EdgernetesClient({ endpoints: cluster.endpointsFrom(leader) });
    let restart: CaseResult;
    let wiped: CaseResult;
    try {
      restart = await restartCase(cluster, client, follower, o);
      wiped = await wipedCase(cluster, client, follower, o);
    } finally {
      client.close();
    }
    printTable(restart, wiped, o);
    finishBench({
      bench: 'recovery',
      resultsDir: o.resultsDir,
      result: {
        writes: o.writes,
        restart_catch_up_s: roundSignificant(restart.catchUpS),
        wiped_catch_up_s: roundSignificant(wiped.catchUpS),
        cases: { restart: caseFigures(restart), wiped: caseFigures(wiped) },
        settings: {
          ...clusterSettings({ edgernetes: cluster, etcd: undefined }, o.baseDir),
          snapshot_entries: o.snapshotEntries,
          concurrency: CONCURRENCY,
          restart_killed_after_writes: Math.floor(o.writes / 2),
          machine: machineSettings(loadAverageAtStart),
        },
      },
    });
  } finally {
    await cluster.stop();
  }
}
