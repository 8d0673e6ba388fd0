/**
 * One seed's run: build the cluster, run the fault schedule for
 * `options.steps` steps with the clients and the safety checks going, heal
 * everything, require recovery within the liveness bound, let the clients'
 * last operations finish, and check the history for linearizability.
 * Everything is drawn from the seed; the same seed gives the same run (the
 * trace digest proves it).
 */
import { checkHistory } from '../src/check/index.js';
import type { HistoryEvent, Verdict } from '../src/check/types.js';
import { nodeId, type ConfState } from '../src/raft/core/types.js';
import { Cluster } from './cluster.js';
import { REAL_CORE, type CoreModule } from './core-module.js';
import { SimViolation, type ViolationKind } from './errors.js';
import { LivenessCheck } from './liveness.js';
import { MembershipChanges } from './membership.js';
import { Nemesis } from './nemesis.js';
import { drawParams, UNITS_PER_TICK, type SimOptions } from './params.js';
import { SimRandom } from './random.js';
import { TraceKind } from './trace-format.js';
import { Trace } from './trace.js';
import { Workload } from './workload.js';

export interface SeedStats {
  readonly steps: number;
  readonly events: number;
  readonly messagesSent: number;
  readonly messagesDropped: number;
  readonly operations: { readonly ok: number; readonly fail: number; readonly info: number };
  readonly committedIndex: number;
  readonly highestTerm: number;
  readonly recoverySteps: number;
  /** How often each kind of fault and operator action happened. */
  readonly happenings: Readonly<Record<HappeningName, number>>;
}

const HAPPENINGS = {
  crashes: TraceKind.Crash,
  restarts: TraceKind.Restart,
  partitions: TraceKind.Partition,
  pauses: TraceKind.Pause,
  unreachableSignals: TraceKind.Unreachable,
  snapshotsTaken: TraceKind.SnapshotTaken,
  snapshotTransfers: TraceKind.SnapshotSend,
  snapshotsInstalled: TraceKind.SnapshotInstalled,
  snapshotTransfersFinished: TraceKind.SnapshotFinished,
  snapshotTransfersFailed: TraceKind.SnapshotFailed,
  confChangesProposed: TraceKind.ConfChange,
  leaderTransfers: TraceKind.Transfer,
  decommissions: TraceKind.Decommission,
  networkModes: TraceKind.NetworkMode,
  clockSkews: TraceKind.Skew,
} as const;

type HappeningName = keyof typeof HAPPENINGS;

function happenings(trace: Trace): Record<HappeningName, number> {
  const out = {} as Record<HappeningName, number>;
  for (const [name, kind] of Object.entries(HAPPENINGS) as Array<[HappeningName, TraceKind]>) out[name] = trace.countOf(kind);
  return out;
}

export interface SeedResult {
  readonly seed: number;
  readonly violation: SimViolation | null;
  /** Digest of every trace event: equal for equal seeds. */
  readonly digest: number;
  /** The last events, readable, oldest first. */
  readonly traceLines: readonly string[];
  /** The clients' history, kept only when the violation concerns it (to write it out for the checker). */
  readonly history: readonly HistoryEvent[] | null;
  readonly stats: SeedStats;
}

/** Raised when the simulator itself fails (not the core): carries the seed and trace for the report. */
export class SimulatorCrashError extends Error {
  constructor(
    readonly seed: number,
    readonly traceLines: readonly string[],
    options: { cause: unknown },
    /** Set when the linearizability checker itself threw on this history. */
    readonly history: readonly HistoryEvent[] | null = null,
  ) {
    super(`simulator failed on seed ${seed}: ${(options.cause as Error)?.message ?? String(options.cause)}`, options);
    this.name = 'SimulatorCrashError';
  }
}

/** Steps after recovery during which the clients' outstanding operations finish or time out. */
function drainSteps(opTimeoutUnits: number): number {
  return Math.ceil(opTimeoutUnits / UNITS_PER_TICK) + 1;
}

export function runSeed(seed: number, options: SimOptions, core: CoreModule = REAL_CORE): SeedResult {
  const random = SimRandom.fromSeed(seed, REAL_CORE.seededRng);
  const params = drawParams(options, core.DEFAULT_RAFT_CONFIG, random);
  const trace = new Trace(options.traceEvents);
  const workload = new Workload(random.fork(), trace, params.workload);
  const voters = Array.from({ length: options.replicas }, (_, k) => nodeId(`n${k + 1}`));
  const bootstrap: ConfState = { voters, learners: [] };
  const cluster = new Cluster(params, bootstrap, core, random.fork(), trace, workload);
  const membership = new MembershipChanges(cluster, random.fork(), options.replicas + 1, params.replicaNumberMax, options.replicas + 2);
  const nemesis = new Nemesis(cluster, membership, random.fork(), params.nemesis);
  const liveness = new LivenessCheck(cluster, params.livenessBoundSteps);
  let step = 0;
  let violation: SimViolation | null = null;
  try {
    for (let r = 1; r <= options.replicas; r++) cluster.addReplica(r);
    const run = (s: number, invoke: boolean): void => {
      if (invoke) cluster.submit(workload.invoke(cluster.nowUnits(), cluster.replicas));
      cluster.runUntil((s + 1) * UNITS_PER_TICK);
      workload.expire(cluster.nowUnits());
      cluster.checkDurability();
    };
    for (; step < options.steps; step++) {
      nemesis.step(step);
      membership.advance(step);
      run(step, true);
    }
    nemesis.heal();
    trace.record(cluster.nowUnits(), TraceKind.Phase, 0, 0, 0, 0, 0, 0, 0, 'faults stop: network healed, replicas restarted and resumed');
    liveness.start(step);
    for (; !liveness.step(step); step++) {
      membership.advance(step);
      run(step, true);
    }
    trace.record(cluster.nowUnits(), TraceKind.Phase, 0, 0, 0, 0, 0, 0, 0, `recovered after ${liveness.recoverySteps} steps; draining`);
    const drainEnd = step + drainSteps(params.workload.opTimeoutUnits);
    for (; workload.pendingCount > 0 && step < drainEnd; step++) run(step, false);
    checkLinearizable(decide(workload.history, options.historyTimeoutMs, seed, trace));
  } catch (error) {
    if (error instanceof SimulatorCrashError) throw error;
    if (!(error instanceof SimViolation)) throw new SimulatorCrashError(seed, trace.format(UNITS_PER_TICK), { cause: error });
    violation = error;
    trace.record(cluster.nowUnits(), TraceKind.Violation, 0, 0, 0, 0, 0, 0, 0, error.message);
  }
  return {
    seed,
    violation,
    digest: trace.digest,
    traceLines: violation === null ? [] : trace.format(UNITS_PER_TICK),
    history: violation !== null && HISTORY_VIOLATIONS.has(violation.kind) ? workload.history : null,
    stats: {
      steps: step,
      events: cluster.eventsProcessed,
      messagesSent: cluster.network.stats.sent,
      messagesDropped: cluster.network.stats.dropped,
      operations: { ...workload.counts },
      committedIndex: cluster.safety.committedIndex,
      highestTerm: cluster.safety.highestTerm,
      recoverySteps: liveness.done ? liveness.recoverySteps : -1,
      happenings: happenings(trace),
    },
  };
}

const HISTORY_VIOLATIONS: ReadonlySet<ViolationKind> = new Set(['linearizability', 'history-undecided']);

/** Runs the checker; if the checker itself throws, that is reported with the history that made it throw. */
function decide(history: readonly HistoryEvent[], timeoutMs: number, seed: number, trace: Trace): Verdict {
  try {
    return checkHistory(history, { timeoutMs });
  } catch (error) {
    throw new SimulatorCrashError(seed, trace.format(UNITS_PER_TICK), { cause: error }, history);
  }
}

function checkLinearizable(verdict: Verdict): void {
  switch (verdict.kind) {
    case 'linearizable':
      return;
    case 'not-linearizable':
      throw new SimViolation('linearizability', `key ${verdict.key} cannot be ordered:\n    ${verdict.window.join('\n    ')}`);
    case 'unknown':
      throw new SimViolation('history-undecided', verdict.reason);
  }
}
