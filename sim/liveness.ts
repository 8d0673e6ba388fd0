/**
 * Liveness after the faults stop. Once everything is healed (network healed
 * and calm, crashed replicas restarted, paused ones resumed), within
 * `boundSteps`:
 *  1. a leader must be elected (up, leading in the highest term known to any
 *     running replica, a voter of the committed configuration);
 *  2. a probe command proposed there must commit and be applied by every
 *     member of the committed configuration (voters and learners);
 *  3. a ReadIndex probe on the leader must be served.
 * If leadership moves before the probes finish, they are proposed again on
 * the new leader. Missing the bound is a violation.
 */
import type { Cluster, ProbeListener } from './cluster.js';
import { SimViolation } from './errors.js';
import { PROBE_PROCESS, type ClientRequest } from './workload.js';

/** Steps to wait on one leader's probes before proposing them again. */
const REPROBE_STEPS = 30;

export class LivenessCheck implements ProbeListener {
  private startStep = 0;
  private probeSeq = 0;
  private probeIndex = -1;
  private readOpId = 0;
  private readServed = false;
  private probeLeader = 0;
  private probedStep = 0;
  private doneStep = -1;

  constructor(
    private readonly cluster: Cluster,
    private readonly boundSteps: number,
  ) {}

  start(step: number): void {
    this.startStep = step;
    this.cluster.probeListener = this;
  }

  get done(): boolean {
    return this.doneStep >= 0;
  }

  /** Steps from the heal to recovery (after done). */
  get recoverySteps(): number {
    return this.doneStep - this.startStep;
  }

  /** Call once per step of the recovery phase; returns true once recovered. */
  step(step: number): boolean {
    if (this.done) return true;
    const leader = this.cluster.currentLeader();
    const voters = this.cluster.committedMembers().voters;
    if (leader !== null && voters.includes(leader.replica)) {
      const moved = leader.replica !== this.probeLeader;
      if (moved || step - this.probedStep >= REPROBE_STEPS) this.probe(leader.replica, step);
      if (this.recovered()) {
        this.doneStep = step;
        return true;
      }
    }
    if (step - this.startStep >= this.boundSteps) {
      const stateLines = this.cluster.describeReplicas().join('; ');
      const what = leader === null ? 'no leader elected' : this.probeIndex < 0 ? 'the probe did not commit' : this.readServed ? 'not every member applied the probe' : 'the probe read was not served';
      throw new SimViolation('liveness', `${this.boundSteps} steps after the faults stopped, ${what}: ${stateLines}`);
    }
    return false;
  }

  private probe(leader: number, step: number): void {
    const driver = this.cluster.driver(leader);
    this.probeLeader = leader;
    this.probedStep = step;
    if (this.probeIndex < 0 && driver.proposeProbe(this.probeSeq + 1)) this.probeSeq++;
    if (!this.readServed) {
      this.readOpId--;
      const request: ClientRequest = { opId: this.readOpId, process: PROBE_PROCESS, seq: 0, f: 'read', key: 0, value: 0, expected: 0 };
      driver.readIndex(request);
    }
  }

  private recovered(): boolean {
    if (this.probeIndex < 0 || !this.readServed) return false;
    const { voters, learners } = this.cluster.committedMembers();
    for (const r of [...voters, ...learners]) {
      if (this.cluster.driver(r).sm.appliedIndex < this.probeIndex) return false;
    }
    return true;
  }

  probeApplied(_replica: number, probeSeq: number, index: number): void {
    if (this.probeIndex < 0 && probeSeq >= 1 && probeSeq <= this.probeSeq) this.probeIndex = index;
  }

  probeReadServed(_replica: number, opId: number): void {
    if (opId === this.readOpId) this.readServed = true;
  }
}
