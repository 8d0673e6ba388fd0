/**
 * The simulator's options (from the command line) and the parameters of one
 * seed's run, some drawn from the seed so that different seeds explore
 * different regimes (snapshot frequency, disk flushing, client load).
 *
 * Time: the simulation clock counts UNITS; a replica's tick is about
 * UNITS_PER_TICK units (skewed per replica); one STEP of the schedule is one
 * nominal tick. Network and disk latencies are a fraction of a tick.
 */
import type { RaftConfig } from '../src/raft/core/api.js';
import type { WriteKind } from './driver-host.js';
import type { DriverParams } from './driver.js';
import { SimOptionError } from './errors.js';
import type { NetworkTiming } from './network.js';
import type { SimRandom } from './random.js';
import type { WorkloadParams } from './workload.js';

export const UNITS_PER_TICK = 10;

export interface SimOptions {
  readonly replicas: number;
  /** Length of the fault schedule in steps (nominal ticks); recovery and draining follow. */
  readonly steps: number;
  /** Events kept for the report printed on a violation. */
  readonly traceEvents: number;
  /** Wall-clock budget of the linearizability check per seed. */
  readonly historyTimeoutMs: number;
}

export const DEFAULT_OPTIONS: SimOptions = { replicas: 3, steps: 1000, traceEvents: 50, historyTimeoutMs: 10_000 };

export function validateOptions(o: SimOptions): SimOptions {
  if (o.replicas !== 3 && o.replicas !== 5) throw new SimOptionError('--replicas', `must be 3 or 5 (got ${o.replicas})`);
  if (!Number.isInteger(o.steps) || o.steps < 50 || o.steps > 1_000_000) {
    throw new SimOptionError('--steps', `must be an integer in [50, 1000000] (got ${o.steps})`);
  }
  if (!Number.isInteger(o.traceEvents) || o.traceEvents < 1 || o.traceEvents > 100_000) {
    throw new SimOptionError('--trace', `must be an integer in [1, 100000] (got ${o.traceEvents})`);
  }
  return o;
}

export interface NemesisParams {
  /** Chance per step of starting a fault (while fewer than maxActiveFaults are active). */
  readonly faultProbability: number;
  readonly maxActiveFaults: number;
  /** Chance per step of an operator action (transfer, snapshot, membership change). */
  readonly operatorProbability: number;
  readonly faultStepsMin: number;
  readonly faultStepsMax: number;
  /**
   * During a crash storm: chance that a replica crashes while a disk write of
   * it is in flight, by what the write carries (a vote, a leader's new
   * entries, anything else). Aiming at votes and appends reaches the
   * interleavings where a lost write matters.
   */
  readonly stormCrashProbability: Readonly<Record<WriteKind, number>>;
  /** A replica crashed by a storm restarts after up to this many units. */
  readonly stormRestartUnitsMax: number;
}

export interface SimParams {
  readonly raft: Omit<RaftConfig, 'id'>;
  readonly driver: DriverParams;
  readonly network: NetworkTiming;
  readonly workload: WorkloadParams;
  readonly nemesis: NemesisParams;
  readonly tickPeriodUnitsMin: number;
  readonly tickPeriodUnitsMax: number;
  readonly clientLatencyUnitsMax: number;
  /** After the faults stop, a leader must be elected and a probe committed everywhere within this many steps. */
  readonly livenessBoundSteps: number;
  /** Highest replica number a membership change may add. */
  readonly replicaNumberMax: number;
  readonly eventQueueCapacity: number;
}

/**
 * The core's configuration for this seed: the production defaults half of the
 * time, otherwise varied within what the core validates. Small message and
 * in-flight bounds split replication into many messages, and pre-vote or
 * check-quorum may be off, which opens interleavings the defaults hide.
 */
export function drawRaftConfig(defaults: Omit<RaftConfig, 'id'>, random: SimRandom): Omit<RaftConfig, 'id'> {
  if (random.chance(0.5)) return defaults;
  const electionTimeoutTicks = random.pick([6, 10, 20]);
  const maxMsgEntriesBytes = random.pick([20, 64, 256, defaults.maxMsgEntriesBytes]);
  return {
    ...defaults,
    electionTimeoutTicks,
    heartbeatIntervalTicks: random.pick([1, 2, Math.floor(electionTimeoutTicks / 3)]),
    preVote: random.chance(0.8),
    checkQuorum: random.chance(0.8),
    maxInflightMsgs: random.pick([1, 4, defaults.maxInflightMsgs]),
    maxMsgEntriesBytes,
    maxInflightBytes: random.pick([0, maxMsgEntriesBytes * 4]),
  };
}

export function drawParams(options: SimOptions, defaults: Omit<RaftConfig, 'id'>, random: SimRandom): SimParams {
  const raft = drawRaftConfig(defaults, random);
  const electionUnits = raft.electionTimeoutTicks * UNITS_PER_TICK;
  return {
    raft,
    driver: {
      fsyncUnitsMin: 1,
      fsyncUnitsMax: random.pick([3, 6, 12]),
      writeUnitsMax: 2,
      smFlushProbability: random.pick([1, 0.7, 0.3]),
      unsyncedRecordsMax: 256,
      pausedInboxMax: 2048,
      pendingOpsMax: 64,
      snapshotEveryEntries: random.pick([6, 16, 40, 100]),
      retainEntriesMax: random.pick([0, 4, 16]),
      chunkBytes: 48,
      snapshotTransferTimeoutUnits: 2 * electionUnits,
      applyUnitsMax: random.pick([0, 4, 20]),
      applyQueueEntriesMax: random.pick([8, 1024]),
    },
    network: {
      crashDetectUnitsMax: 3,
      partitionDetectUnitsMin: UNITS_PER_TICK,
      partitionDetectUnitsMax: 3 * UNITS_PER_TICK,
      unreachableRepeatUnits: electionUnits / 2,
      inFlightPerLinkMax: 1024,
    },
    workload: {
      clientCount: options.replicas + 1,
      invokeProbability: random.pick([0.1, 0.25, 0.5]),
      opTimeoutUnits: 5 * electionUnits,
    },
    nemesis: {
      faultProbability: random.pick([0.01, 0.03, 0.06]),
      maxActiveFaults: random.pick([1, 2, 3]),
      operatorProbability: random.pick([0.01, 0.03]),
      faultStepsMin: 5,
      faultStepsMax: random.pick([60, 150]),
      stormCrashProbability: { vote: random.pick([0.2, 0.6]), 'leader-append': random.pick([0.05, 0.2]), other: random.pick([0.01, 0.05]) },
      stormRestartUnitsMax: random.pick([3, 30]),
    },
    tickPeriodUnitsMin: UNITS_PER_TICK - 3,
    tickPeriodUnitsMax: UNITS_PER_TICK + 3,
    clientLatencyUnitsMax: 3,
    livenessBoundSteps: 25 * raft.electionTimeoutTicks,
    replicaNumberMax: options.replicas + 4,
    eventQueueCapacity: 200_000,
  };
}
