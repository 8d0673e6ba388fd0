/**
 * `edgernetes up [--replicas 3] [--data-dir DIR] [--base-port 7001]`: a local
 * cluster of separate `edgernetes server` processes on 127.0.0.1.
 *
 * Starts one process per replica (logs in DIR/<id>.log), waits (bounded) until
 * a leader is elected, prints the endpoints and the edgectl command line, then
 * supervises: a replica that dies is reported and the others keep running.
 * Ctrl-C (SIGINT), SIGTERM or SIGHUP stops every replica with SIGTERM and waits
 * for them (bounded, then SIGKILL); a second Ctrl-C kills them at once. Run
 * again on the same DIR, it resumes the cluster recorded in DIR/cluster.json.
 *
 * Exit: 0 after a clean stop; 1 if the cluster did not come up, a replica died
 * or had to be killed; 2 for usage errors (including flags that contradict
 * the recorded cluster).
 *
 * Room for what comes next (issue 3: the README's main command becomes `up`
 * plus agents and a demo model): the supervisor runs any process as a
 * ManagedProcess with its own log and stop contract, so agents become more
 * supervised processes started once the leader is known, and the demo model a
 * manifest applied through the registry client at that same point.
 */
import { resolve } from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { EXIT_USAGE, parseDurationArgument } from './check-history.js';
import { keepClosedPipeFatal } from './closed-pipe.js';
import { readyText, startingText } from './local-cluster/banner.js';
import { describeExit } from './local-cluster/child.js';
import { LayoutError, resolveLayout, writeLayout, type LayoutRequest } from './local-cluster/layout.js';
import { PortInUseError, requirePortsFree } from './local-cluster/ports.js';
import { StopSignals } from './local-cluster/signals.js';
import { LeaderNotElectedError, LocalCluster, type ReplicaStopOutcome } from './local-cluster/supervisor.js';

const EXIT_CLEAN = 0;
const EXIT_FAILED = 1;

export interface UpOptions {
  readonly layout: LayoutRequest;
  /** Bound on waiting for the first leader. */
  readonly startTimeoutMs: number;
  /** Grace period of each replica between SIGTERM and SIGKILL. */
  readonly stopTimeoutMs: number;
}

interface Output {
  write(text: string): unknown;
}

function integerArgument(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n)) throw new InvalidArgumentError(`expected an integer, got ${JSON.stringify(text)}`);
  return n;
}

export function registerUp(program: Command): void {
  program
    .command('up')
    .description('run a local cluster: one server process per replica on 127.0.0.1 (Ctrl-C stops it)')
    .option('--replicas <count>', 'number of replicas of a new cluster', integerArgument, 3)
    .option('--data-dir <dir>', 'where the cluster keeps its data and logs; resumed when it exists', 'edgernetes-data')
    .option('--base-port <port>', 'port of the first replica of a new cluster; the others follow', integerArgument, 7001)
    .addOption(new Option('--start-timeout <duration>', 'give up if no leader is elected within this').argParser(parseDurationArgument).default(60_000, '60s'))
    .addOption(new Option('--stop-timeout <duration>', 'SIGKILL a replica still running this long after SIGTERM').argParser(parseDurationArgument).default(10_000, '10s'))
    .action(async (opts: { replicas: number; dataDir: string; basePort: number; startTimeout: number; stopTimeout: number }, cmd: Command) => {
      keepClosedPipeFatal(); // the supervisor reports on stdout while it runs
      const layout: LayoutRequest = {
        dataDir: resolve(opts.dataDir),
        replicas: opts.replicas,
        basePort: opts.basePort,
        explicit: { replicas: cmd.getOptionValueSource('replicas') === 'cli', basePort: cmd.getOptionValueSource('basePort') === 'cli' },
      };
      const options = { layout, startTimeoutMs: opts.startTimeout, stopTimeoutMs: opts.stopTimeout };
      process.exitCode = await runUp(options, process.stdout, process.stderr);
    });
}

/** Runs the cluster until a stop signal (or until every replica is gone); returns the exit code. */
export async function runUp(options: UpOptions, out: Output, err: Output): Promise<number> {
  const dataDir = options.layout.dataDir;
  let resolved;
  try {
    resolved = await resolveLayout(options.layout);
  } catch (e) {
    if (!(e instanceof LayoutError)) throw e;
    err.write(`edgernetes up: ${e.message}\n`);
    return EXIT_USAGE;
  }
  const { layout, resumed } = resolved;
  try {
    await requirePortsFree(layout.host, layout.replicas.map((slot) => slot.port));
  } catch (e) {
    if (!(e instanceof PortInUseError)) throw e;
    err.write(`edgernetes up: ${e.message}\n`);
    return EXIT_FAILED;
  }
  // Recorded only now: a new cluster whose ports were taken leaves no layout behind to contradict a retry.
  if (!resumed) await writeLayout(dataDir, layout);
  out.write(startingText(dataDir, layout, resumed));
  // Listening before the first replica starts: a Ctrl-C from here on stops the replicas instead of orphaning them.
  const signals = new StopSignals();
  try {
    const cluster = await LocalCluster.start({ dataDir, layout, env: process.env });
    try {
      return await superviseUntilStopped(cluster, options, signals, out, err);
    } catch (bug) {
      // Whatever went wrong in `up` itself, it leaves no replica running behind it.
      await cluster.kill();
      throw bug;
    }
  } finally {
    signals.dispose();
  }
}

async function superviseUntilStopped(cluster: LocalCluster, options: UpOptions, signals: StopSignals, out: Output, err: Output): Promise<number> {
  let healthy = true;
  let resolveAllGone!: () => void;
  const allGone = new Promise<'all-gone'>((r) => (resolveAllGone = () => r('all-gone')));
  cluster.onUnexpectedExit((id, exit) => {
    healthy = false;
    const left = cluster.runningCount;
    err.write(`edgernetes up: replica ${id} exited unexpectedly (${describeExit(exit)}); see ${cluster.logPath(id)}; ${left} replica(s) keep running\n`);
    if (left === 0) resolveAllGone();
  });
  const abort = new AbortController();
  void signals.requested.then(() => abort.abort());
  try {
    const status = await cluster.waitForLeader(options.startTimeoutMs, abort.signal);
    if (status !== null) {
      out.write(readyText(options.layout.dataDir, cluster.layout, status));
      if ((await Promise.race([signals.requested, allGone])) === 'all-gone') err.write('edgernetes up: every replica has exited\n');
    }
  } catch (e) {
    if (!(e instanceof LeaderNotElectedError)) throw e;
    err.write(`edgernetes up: ${e.message}\n`);
    healthy = false;
  }
  const stoppedCleanly = await stopCluster(cluster, options.stopTimeoutMs, signals, out, err);
  return healthy && stoppedCleanly ? EXIT_CLEAN : EXIT_FAILED;
}

/** Stops every replica; true when each exited by itself with code 0. */
async function stopCluster(cluster: LocalCluster, stopTimeoutMs: number, signals: StopSignals, out: Output, err: Output): Promise<boolean> {
  const running = cluster.runningCount;
  if (running > 0) out.write(`edgernetes up: stopping ${running} replica(s) (Ctrl-C again to kill them at once)\n`);
  signals.onRepeat(() => {
    err.write('edgernetes up: killing the replicas\n');
    void cluster.kill();
  });
  const outcomes: ReplicaStopOutcome[] = await cluster.stop(stopTimeoutMs);
  let clean = true;
  for (const o of outcomes) {
    if (o.killed) err.write(`edgernetes up: replica ${o.id} did not stop within ${stopTimeoutMs} ms and was killed\n`);
    clean &&= !o.killed && o.exit.code === 0;
  }
  out.write('edgernetes up: stopped\n');
  return clean;
}
