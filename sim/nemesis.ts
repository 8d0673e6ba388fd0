/**
 * The fault schedule: during the fault phase it starts faults at random
 * (partitions of several shapes, crashes, pauses, lossy or slow networks,
 * clock skew) and ends each after its duration; it also performs operator
 * actions (leadership transfer, snapshots, membership changes). heal() ends
 * every fault at once: the network heals and calms, paused replicas resume,
 * crashed ones restart, clocks return to their own rates.
 */
import type { Cluster } from './cluster.js';
import { CALM_NETWORK, type NetworkMode } from './network.js';
import type { MembershipChanges } from './membership.js';
import type { NemesisParams } from './params.js';
import type { SimRandom } from './random.js';
import { applyPartition, describePartition, type PartitionShape } from './topology.js';
import { TraceKind } from './trace-format.js';
import { replicaId } from './ids.js';

type Fault =
  | { readonly kind: 'partition' }
  | { readonly kind: 'crash'; readonly replicas: readonly number[] }
  | { readonly kind: 'pause'; readonly replica: number }
  | { readonly kind: 'network' }
  | { readonly kind: 'crash-storm' }
  | { readonly kind: 'skew'; readonly replica: number; readonly periodUnits: number };

interface ActiveFault {
  readonly fault: Fault;
  readonly untilStep: number;
}

export class Nemesis {
  private active: ActiveFault[] = [];

  constructor(
    private readonly cluster: Cluster,
    private readonly membership: MembershipChanges,
    private readonly random: SimRandom,
    private readonly params: NemesisParams,
  ) {}

  step(step: number): void {
    const due = this.active.filter((a) => a.untilStep <= step);
    if (due.length > 0) {
      this.active = this.active.filter((a) => a.untilStep > step);
      for (const a of due) this.end(a.fault);
    }
    if (this.active.length < this.params.maxActiveFaults && this.random.chance(this.params.faultProbability)) {
      const fault = this.startFault();
      if (fault !== null) {
        this.active.push({ fault, untilStep: step + this.random.between(this.params.faultStepsMin, this.params.faultStepsMax) });
      }
    }
    if (this.random.chance(this.params.operatorProbability)) this.operatorAction(step);
  }

  /** Ends every fault; every crashed replica (not decommissioned) restarts. */
  heal(): void {
    const all = this.active;
    this.active = [];
    for (const a of all) this.end(a.fault);
    for (const r of this.cluster.replicas) if (this.cluster.driver(r).state === 'crashed') this.cluster.start(r);
  }

  private startFault(): Fault | null {
    const roll = this.random.below(100);
    if (roll < 25) return this.partition();
    if (roll < 45) return this.crash();
    if (roll < 60) return this.crashStorm();
    if (roll < 70) return this.pause();
    if (roll < 90) return this.degradeNetwork();
    return this.skewClock();
  }

  private end(fault: Fault): void {
    const c = this.cluster;
    switch (fault.kind) {
      case 'partition':
        c.network.links.heal();
        c.trace.record(c.nowUnits(), TraceKind.Heal, 0);
        return;
      case 'crash':
        for (const r of fault.replicas) if (c.driver(r).state === 'crashed') c.start(r);
        return;
      case 'pause':
        if (c.driver(fault.replica).state === 'paused') c.driver(fault.replica).resume();
        return;
      case 'network':
        this.setMode(CALM_NETWORK);
        return;
      case 'crash-storm':
        c.crashStorm = null;
        c.trace.record(c.nowUnits(), TraceKind.Phase, 0, 0, 0, 0, 0, 0, 0, 'crash storm ends');
        return;
      case 'skew':
        c.driver(fault.replica).tickPeriodUnits = fault.periodUnits;
        c.trace.record(c.nowUnits(), TraceKind.Skew, fault.replica, 0, fault.periodUnits);
        return;
    }
  }

  private has(kind: Fault['kind']): boolean {
    return this.active.some((a) => a.fault.kind === kind);
  }

  private partition(): Fault | null {
    if (this.has('partition')) return null;
    const replicas = this.cluster.replicas;
    if (replicas.length < 2) return null;
    const shape = this.pickShape(replicas);
    const links = this.cluster.network.links;
    applyPartition(links, shape, replicas);
    this.cluster.trace.record(this.cluster.nowUnits(), TraceKind.Partition, 0, 0, 0, 0, 0, 0, 0, describePartition(shape));
    this.cluster.network.linksBroke(links.blockedAmong(replicas));
    return { kind: 'partition' };
  }

  private pickShape(replicas: readonly number[]): PartitionShape {
    const order = this.random.shuffled(replicas);
    const leader = this.cluster.currentLeader();
    const roll = this.random.below(100);
    if (roll < 30) return { kind: 'isolate', node: leader !== null && this.random.chance(0.7) ? leader.replica : order[0]! };
    if (roll < 55 || order.length < 3) {
      const minoritySize = this.random.between(1, Math.floor(order.length / 2));
      return { kind: 'split', minority: order.slice(0, minoritySize), majority: order.slice(minoritySize) };
    }
    if (roll < 80 || order.length < 4) {
      const bridge = leader !== null && this.random.chance(0.5) ? leader.replica : order[0]!;
      const rest = order.filter((r) => r !== bridge);
      const cut = this.random.between(1, rest.length - 1);
      return { kind: 'bridge', left: rest.slice(0, cut), bridge, right: rest.slice(cut) };
    }
    return { kind: 'ring', order };
  }

  private crash(): Fault | null {
    const up = this.cluster.upReplicas;
    if (up.length === 0) return null;
    const leader = this.cluster.currentLeader();
    let victims: number[];
    if (this.random.chance(0.1)) {
      victims = this.random.shuffled(up).slice(0, Math.floor(up.length / 2) + 1);
    } else {
      victims = [leader !== null && this.random.chance(0.5) ? leader.replica : this.random.pick(up)];
    }
    for (const r of victims) this.cluster.crash(r);
    return { kind: 'crash', replicas: victims };
  }

  private crashStorm(): Fault | null {
    if (this.has('crash-storm')) return null;
    const c = this.cluster;
    c.crashStorm = { probability: this.params.stormCrashProbability, restartUnitsMax: this.params.stormRestartUnitsMax };
    const p = this.params.stormCrashProbability;
    const text = `crash storm: crash during ${p.vote * 100}% of vote writes, ${p['leader-append'] * 100}% of leader appends, ${p.other * 100}% of other writes`;
    c.trace.record(c.nowUnits(), TraceKind.Phase, 0, 0, 0, 0, 0, 0, 0, text);
    return { kind: 'crash-storm' };
  }

  private pause(): Fault | null {
    const up = this.cluster.upReplicas.filter((r) => this.cluster.driver(r).state === 'up');
    if (up.length === 0) return null;
    const leader = this.cluster.currentLeader();
    const replica = leader !== null && this.random.chance(0.5) ? leader.replica : this.random.pick(up);
    this.cluster.driver(replica).pause();
    return { kind: 'pause', replica };
  }

  private degradeNetwork(): Fault | null {
    if (this.has('network')) return null;
    const lossy = this.random.chance(0.6);
    const duplicating = this.random.chance(0.4);
    const slow = this.random.chance(0.5);
    const mode: NetworkMode = {
      dropProbability: lossy ? this.random.pick([0.02, 0.1, 0.3]) : 0,
      duplicateProbability: duplicating ? this.random.pick([0.02, 0.1, 0.2]) : 0,
      minDelayUnits: 1,
      maxDelayUnits: slow ? this.random.pick([8, 20]) : 4,
      spikeProbability: slow ? this.random.pick([0.05, 0.2]) : 0.01,
      spikeDelayUnits: slow ? this.random.pick([30, 100, 300]) : 20,
    };
    this.setMode(mode);
    return { kind: 'network' };
  }

  private setMode(mode: NetworkMode): void {
    this.cluster.network.mode = mode;
    const c = this.cluster;
    c.trace.record(c.nowUnits(), TraceKind.NetworkMode, 0, 0, Math.round(mode.dropProbability * 1000), Math.round(mode.duplicateProbability * 1000), mode.maxDelayUnits + mode.spikeDelayUnits);
  }

  private skewClock(): Fault | null {
    const running = this.cluster.upReplicas;
    if (running.length === 0) return null;
    const replica = this.random.pick(running);
    const d = this.cluster.driver(replica);
    if (this.active.some((a) => a.fault.kind === 'skew' && a.fault.replica === replica)) return null;
    const original = d.tickPeriodUnits;
    d.tickPeriodUnits = this.random.pick([Math.max(2, Math.floor(original / 3)), original * 2, original * 4]);
    this.cluster.trace.record(this.cluster.nowUnits(), TraceKind.Skew, replica, 0, d.tickPeriodUnits);
    return { kind: 'skew', replica, periodUnits: original };
  }

  private operatorAction(step: number): void {
    const roll = this.random.below(100);
    if (roll < 35) return this.transferLeadership();
    if (roll < 60) return this.snapshot();
    this.membership.startChange(step);
  }

  private transferLeadership(): void {
    const leader = this.cluster.currentLeader();
    if (leader === null) return;
    const others = this.cluster.committedMembers().voters.filter((v) => v !== leader.replica);
    if (others.length === 0) return;
    const to = this.random.pick(others);
    this.cluster.trace.record(this.cluster.nowUnits(), TraceKind.Transfer, leader.replica, to);
    leader.transferLeadership(replicaId(to));
  }

  private snapshot(): void {
    const up = this.cluster.upReplicas;
    if (up.length > 0) this.cluster.driver(this.random.pick(up)).takeSnapshot();
  }
}
