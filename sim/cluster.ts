/**
 * The simulated world: replicas, the network between them, the event queue
 * and the clock. Everything happens as an event at a simulated time; events
 * at one instant run in the order they were scheduled, so a seed's run is
 * deterministic.
 */
import { Role, type ConfState, type NodeId } from '../src/raft/core/types.js';
import type { CoreModule } from './core-module.js';
import type { DriverHost, WriteKind } from './driver-host.js';
import { ReplicaDriver, type InboxItem } from './driver.js';
import { simAssert } from './errors.js';
import { EventQueue } from './event-queue.js';
import { replicaId, replicaNumber } from './ids.js';
import { SimNetwork, type Delivery, type Frame, type NetworkHost } from './network.js';
import type { SimParams } from './params.js';
import type { SimRandom } from './random.js';
import { SafetyChecker } from './safety.js';
import { messageCode, TraceKind } from './trace-format.js';
import type { Trace } from './trace.js';
import type { ClientRequest, OpOutcome, Workload } from './workload.js';

type SimEvent =
  | { readonly kind: 'tick'; readonly replica: number; readonly incarnation: number }
  | { readonly kind: 'deliver'; readonly delivery: Delivery }
  | { readonly kind: 'io-done'; readonly replica: number; readonly incarnation: number }
  | { readonly kind: 'apply'; readonly replica: number; readonly incarnation: number }
  | { readonly kind: 'unreachable'; readonly replica: number; readonly incarnation: number; readonly peer: number }
  | { readonly kind: 'client'; readonly replica: number; readonly request: ClientRequest }
  /** Crash-storm events: a crash while a write is in flight, and the quick restart after it. */
  | { readonly kind: 'crash'; readonly replica: number; readonly incarnation: number }
  | { readonly kind: 'restart'; readonly replica: number; readonly incarnation: number }
  | {
      readonly kind: 'snapshot-timeout';
      readonly replica: number;
      readonly incarnation: number;
      readonly peer: NodeId;
      readonly transferId: number;
    };

export interface CrashStorm {
  /** Chance of a crash during a write, by what the write carries. */
  readonly probability: Readonly<Record<WriteKind, number>>;
  readonly restartUnitsMax: number;
}

export interface ProbeListener {
  probeApplied(replica: number, probeSeq: number, index: number): void;
  probeReadServed(replica: number, opId: number): void;
}

const IO_DONE: InboxItem = { kind: 'io-done' };
const APPLY: InboxItem = { kind: 'apply' };

export class Cluster implements DriverHost, NetworkHost {
  readonly safety: SafetyChecker;
  readonly network: SimNetwork;
  /** Drivers by replica number (sparse: index 0 unused). */
  readonly drivers: ReplicaDriver[] = [];
  probeListener: ProbeListener | null = null;
  /**
   * While a crash storm is on: the chance that a replica crashes while a disk
   * write of it is in flight (the moment a crash loses the most), restarting
   * within stormRestartUnitsMax.
   */
  crashStorm: CrashStorm | null = null;
  eventsProcessed = 0;
  private now = 0;
  private readonly queue: EventQueue<SimEvent>;
  private transferIds = 0;

  constructor(
    readonly params: SimParams,
    readonly bootstrapConf: ConfState,
    private readonly core: CoreModule,
    private readonly random: SimRandom,
    readonly trace: Trace,
    readonly workload: Workload,
  ) {
    this.queue = new EventQueue(params.eventQueueCapacity);
    this.safety = new SafetyChecker(bootstrapConf);
    this.network = new SimNetwork(this, random.fork(), trace, params.network);
  }

  nowUnits(): number {
    return this.now;
  }

  // ---- replicas ---------------------------------------------------------------

  /** Creates replica `replica` with an empty disk and starts it. */
  addReplica(replica: number): ReplicaDriver {
    simAssert(this.drivers[replica] === undefined, `replica n${replica} exists`);
    const period = this.random.between(this.params.tickPeriodUnitsMin, this.params.tickPeriodUnitsMax);
    const config = { ...this.params.raft, id: replicaId(replica) };
    const driver = new ReplicaDriver(replica, config, this.bootstrapConf, this.core, this, this.random.fork(), this.params.driver, period);
    this.drivers[replica] = driver;
    this.trace.record(this.now, TraceKind.Skew, replica, 0, period);
    this.start(replica);
    return driver;
  }

  driver(replica: number): ReplicaDriver {
    const d = this.drivers[replica];
    simAssert(d !== undefined, `no replica n${replica}`);
    return d;
  }

  /** Replica numbers of every replica not decommissioned. */
  get replicas(): number[] {
    const out: number[] = [];
    for (const d of this.drivers) if (d !== undefined && d.state !== 'stopped') out.push(d.replica);
    return out;
  }

  get upReplicas(): number[] {
    return this.replicas.filter((r) => this.driver(r).isRunning);
  }

  start(replica: number): void {
    const d = this.driver(replica);
    d.start();
    this.queue.push(this.now + this.random.between(1, d.tickPeriodUnits), { kind: 'tick', replica, incarnation: d.incarnation });
  }

  crash(replica: number): void {
    this.driver(replica).crash();
    this.network.peerCrashed(replica, this.upReplicas);
    this.checkDurability();
  }

  /**
   * The replica that believes it leads in the highest term known to any
   * running member of the committed configuration, if it is up. (A removed
   * replica that never learnt of its removal may campaign in ever higher
   * terms on its own; it is not part of the cluster.)
   */
  currentLeader(): ReplicaDriver | null {
    const conf = this.safety.committedConf;
    let best: ReplicaDriver | null = null;
    let highestTerm = -1;
    for (const d of this.drivers) {
      if (d === undefined || !d.isRunning) continue;
      if (!conf.voters.includes(d.id) && !conf.learners.includes(d.id)) continue;
      if (d.term > highestTerm) highestTerm = d.term;
      if (d.role === Role.Leader && d.state === 'up' && (best === null || d.term > best.term)) best = d;
    }
    return best !== null && best.term === highestTerm ? best : null;
  }

  /** Replica numbers of the committed configuration's members. */
  committedMembers(): { voters: number[]; learners: number[] } {
    const conf = this.safety.committedConf;
    return { voters: conf.voters.map(replicaNumber), learners: conf.learners.map(replicaNumber) };
  }

  checkDurability(): void {
    this.safety.checkDurability((r) => this.drivers[r]?.disk.durable);
  }

  // ---- the event loop ---------------------------------------------------------

  /** Runs every event scheduled before `endUnits`; the clock ends at `endUnits`. */
  runUntil(endUnits: number): void {
    while (this.queue.peekTime() < endUnits) {
      this.now = this.queue.peekTime();
      this.dispatch(this.queue.pop());
      this.eventsProcessed++;
    }
    this.now = endUnits;
  }

  private dispatch(ev: SimEvent): void {
    switch (ev.kind) {
      case 'tick':
        return this.tick(ev.replica, ev.incarnation);
      case 'deliver': {
        const frame = this.network.arrive(ev.delivery);
        if (frame !== null) this.deliverFrame(ev.delivery, frame);
        return;
      }
      case 'io-done':
        if (this.current(ev.replica, ev.incarnation)) this.driver(ev.replica).deliver(IO_DONE);
        return;
      case 'apply':
        if (this.current(ev.replica, ev.incarnation)) this.driver(ev.replica).deliver(APPLY);
        return;
      case 'unreachable':
        if (this.current(ev.replica, ev.incarnation)) this.driver(ev.replica).deliver({ kind: 'unreachable', peer: ev.peer });
        return;
      case 'client':
        return this.driver(ev.replica).deliver({ kind: 'client', request: ev.request });
      case 'crash':
        return this.stormCrash(ev.replica, ev.incarnation);
      case 'restart': {
        const d = this.driver(ev.replica);
        if (d.state === 'crashed' && d.incarnation === ev.incarnation) this.start(ev.replica);
        return;
      }
      case 'snapshot-timeout':
        if (this.current(ev.replica, ev.incarnation)) {
          this.driver(ev.replica).deliver({ kind: 'snapshot-timeout', peer: ev.peer, transferId: ev.transferId });
        }
        return;
    }
  }

  private deliverFrame(delivery: Delivery, frame: Frame): void {
    if (frame.kind === 'raft') {
      const m = frame.message;
      this.trace.record(this.now, TraceKind.Deliver, delivery.to, delivery.from, messageCode(m.type), m.term, m.index, m.entries.length, m.commit);
    }
    this.driver(delivery.to).deliver({ kind: 'frame', from: delivery.from, frame });
  }

  private tick(replica: number, incarnation: number): void {
    const d = this.driver(replica);
    if (d.incarnation !== incarnation || !d.isRunning) return;
    d.tick();
    if (d.incarnation === incarnation) this.queue.push(this.now + d.tickPeriodUnits, { kind: 'tick', replica, incarnation });
  }

  private current(replica: number, incarnation: number): boolean {
    const d = this.drivers[replica];
    return d !== undefined && d.incarnation === incarnation && d.isRunning;
  }

  /** Sends client requests to their replicas after a short client-to-replica latency. */
  submit(requests: ReadonlyArray<{ replica: number; request: ClientRequest }>): void {
    for (const { replica, request } of requests) {
      this.queue.push(this.now + this.random.between(1, this.params.clientLatencyUnitsMax), { kind: 'client', replica, request });
    }
  }

  // ---- DriverHost / NetworkHost ----------------------------------------------

  isUp(replica: number): boolean {
    const d = this.drivers[replica];
    return d !== undefined && d.isRunning;
  }

  incarnation(replica: number): number {
    return this.drivers[replica]?.incarnation ?? 0;
  }

  send(from: number, to: number, frame: Frame): void {
    this.network.send(from, to, frame);
  }

  scheduleDelivery(atUnits: number, delivery: Delivery): void {
    this.queue.push(atUnits, { kind: 'deliver', delivery });
  }

  scheduleUnreachable(atUnits: number, replica: number, peer: number): void {
    this.queue.push(atUnits, { kind: 'unreachable', replica, incarnation: this.incarnation(replica), peer });
  }

  scheduleIoDone(atUnits: number, replica: number, incarnation: number, what: WriteKind): void {
    this.queue.push(atUnits, { kind: 'io-done', replica, incarnation });
    const storm = this.crashStorm;
    if (storm !== null && this.random.chance(storm.probability[what])) {
      this.queue.push(this.random.between(this.now, atUnits - 1), { kind: 'crash', replica, incarnation });
    }
  }

  private stormCrash(replica: number, incarnation: number): void {
    const d = this.driver(replica);
    const storm = this.crashStorm;
    if (storm === null || d.incarnation !== incarnation || !d.isRunning) return;
    this.crash(replica);
    this.queue.push(this.now + this.random.between(1, storm.restartUnitsMax), { kind: 'restart', replica, incarnation: d.incarnation });
  }

  scheduleApply(atUnits: number, replica: number, incarnation: number): void {
    this.queue.push(atUnits, { kind: 'apply', replica, incarnation });
  }

  scheduleSnapshotTimeout(atUnits: number, replica: number, incarnation: number, peer: NodeId, transferId: number): void {
    this.queue.push(atUnits, { kind: 'snapshot-timeout', replica, incarnation, peer, transferId });
  }

  nextTransferId(): number {
    return ++this.transferIds;
  }

  completeOp(opId: number, replica: number, outcome: OpOutcome): void {
    this.workload.complete(opId, replica, outcome, this.now);
  }

  probeApplied(replica: number, probeSeq: number): void {
    this.probeListener?.probeApplied(replica, probeSeq, this.driver(replica).sm.appliedIndex);
  }

  probeReadServed(replica: number, opId: number): void {
    this.probeListener?.probeReadServed(replica, opId);
  }

  /** One line per replica, for liveness reports. */
  describeReplicas(): string[] {
    return this.drivers
      .filter((d): d is ReplicaDriver => d !== undefined)
      .map((d) => {
        const s = d.raft?.status();
        const state = s === undefined ? d.state : `${d.state} ${s.role} term=${s.hardState.term} leader=${s.leader ?? '-'} commit=${s.hardState.commit}`;
        return `n${d.replica}: ${state} applied=${d.sm.appliedIndex} last=${d.disk.written.log.lastIndex}`;
      });
  }
}
