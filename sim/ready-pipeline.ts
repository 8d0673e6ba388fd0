/**
 * What a replica's driver does with each Ready, as the production driver
 * (src/raft/node/driver.ts) does it, in the order src/raft/core/types.ts
 * documents:
 *
 *   1. send messagesBeforePersist;
 *   2. write the snapshot, the entries and the hard state, and fdatasync
 *      when mustSync (always under a snapshot). The I/O takes simulated time
 *      and the batch waits for it. A hard state whose only change is the
 *      commit index is not written on its own: it rides with the next write
 *      (it need not be durable; the production driver saves the fsync);
 *   3. when the I/O is done: send messagesAfterPersist, queue the snapshot
 *      install and the committed entries on the apply chain (apply-queue.ts),
 *      note the read states, advance(), pull the next Ready.
 *   4. the apply chain applies its work in order a little later (the state
 *      machine lags the core's applied index, as in production), serves the
 *      reads whose index it reached, and takes snapshots.
 *
 * Between ready() and advance() the core keeps receiving ticks and messages.
 * Along the way it reports to the safety checker what it observes: roles,
 * every entry written, commit indexes, every entry applied, every promise
 * sent.
 */
import { MessageType, Role, type Entry, type HardState, type Message, type Ready } from '../src/raft/core/types.js';
import { ApplyQueue, type ApplyWork } from './apply-queue.js';
import type { DriverHost, WriteKind } from './driver-host.js';
import type { DriverParams, ReplicaDriver } from './driver.js';
import { simAssert, SimViolation } from './errors.js';
import { replicaNumber } from './ids.js';
import type { SimRandom } from './random.js';
import { roleCode, TraceKind } from './trace-format.js';

/** A state machine flushes by itself past this many unflushed applies (like a full memtable). */
const SM_UNFLUSHED_MAX = 1024;

/** Messages only a leader sends: seeing one from a replica means it acts as leader of the message's term. */
const LEADER_MESSAGES: ReadonlySet<MessageType> = new Set([
  MessageType.App,
  MessageType.Heartbeat,
  MessageType.Snap,
  MessageType.TimeoutNow,
]);

export class ReadyPipeline {
  /** The batch whose disk I/O is in flight (the core's ready() must not be called again until it is advanced). */
  private ioBatch: Ready | null = null;
  /** Data of the snapshot the batch in flight persisted, to install once the I/O is done. */
  private ioSnapshotData: Uint8Array | null = null;
  /** The newest hard state handed out but not yet written (only its commit index changed). */
  private unwrittenHardState: HardState | null = null;
  /** The commit index of the newest hard state handed out (written or not). */
  private commitSeen = 0;
  /** The term this replica was last seen leading (-1: not leading). */
  private ledTerm = -1;
  private readonly applyQueue = new ApplyQueue();

  constructor(
    private readonly d: ReplicaDriver,
    private readonly host: DriverHost,
    private readonly random: SimRandom,
    private readonly params: DriverParams,
  ) {}

  /** Forgets everything volatile (a crash), or starts from the durable hard state (a start). */
  reset(): void {
    this.ioBatch = null;
    this.ioSnapshotData = null;
    this.unwrittenHardState = null;
    this.commitSeen = this.d.disk.durable.hardState.commit;
    this.ledTerm = -1;
    this.applyQueue.clear();
  }

  /** Pulls and processes Ready batches until the core has none or one waits for disk I/O. */
  pump(): void {
    const d = this.d;
    const applyBound = this.params.applyQueueEntriesMax;
    while (d.state === 'up' && this.ioBatch === null && this.applyQueue.queuedEntries <= applyBound && d.raft!.hasReady()) {
      let rd: Ready;
      try {
        rd = d.raft!.ready();
      } catch (error) {
        return d.coreFailed('ready', error);
      }
      const ledTerm = d.role === Role.Leader ? d.term : -1;
      this.observe(rd);
      for (const m of rd.messagesBeforePersist) this.send(m);
      const what = this.writeKind(rd);
      if (!this.persist(rd, ledTerm)) {
        this.finish(rd);
        continue;
      }
      this.ioBatch = rd;
      const sync = rd.mustSync || rd.snapshot !== null;
      const p = this.params;
      const latency = sync ? this.random.between(p.fsyncUnitsMin, p.fsyncUnitsMax) : this.random.between(1, p.writeUnitsMax);
      this.host.scheduleIoDone(this.host.nowUnits() + latency, d.replica, d.incarnation, what);
    }
  }

  /** The batch's disk I/O completed: sync if it asked to, then finish it. */
  completeIo(): void {
    const rd = this.ioBatch;
    simAssert(rd !== null, `n${this.d.replica}: I/O completion without a batch`);
    if (rd.mustSync || rd.snapshot !== null) this.d.disk.sync();
    this.ioBatch = null;
    this.finish(rd);
  }

  /** The apply chain's turn: apply everything queued, in order. */
  applyQueued(): void {
    const d = this.d;
    for (const work of this.applyQueue.takeAll()) {
      if (work.kind === 'install') d.snapshots.install(work.metadata, work.data);
      else this.applyEntries(work.entries);
    }
    const sm = d.sm;
    if (sm.unflushedCount > SM_UNFLUSHED_MAX || this.random.chance(this.params.smFlushProbability)) sm.flush();
    d.clients.afterApply([]);
    if (sm.appliedIndex - d.disk.durable.snapshotIndex >= this.params.snapshotEveryEntries) {
      d.snapshots.takeLocal(this.random.between(0, this.params.retainEntriesMax));
    }
  }

  /**
   * Tracks role, leader and term, records leadership with the safety checker,
   * and checks each new leadership's election quorum. A leader of a new term
   * whose soft state looks unchanged (it stepped down and won again between
   * two batches) is caught by its term change.
   */
  private observe(rd: Ready): void {
    const d = this.d;
    const termChanged = rd.hardState !== null && rd.hardState.term !== d.term;
    if (rd.hardState !== null) d.term = rd.hardState.term;
    if (rd.softState === null && !(termChanged && d.role === Role.Leader)) return;
    const { role, leader } = rd.softState ?? { role: d.role, leader: d.leader };
    if (role !== d.role || leader !== d.leader) {
      d.trace(TraceKind.Role, 0, roleCode(role), d.term, leader === null ? 0 : replicaNumber(leader));
    }
    d.role = role;
    d.leader = leader;
    if (role !== Role.Leader) {
      this.ledTerm = -1;
      return;
    }
    const status = d.raft!.status();
    const t = status.hardState.term;
    this.host.safety.observeLeader(d.replica, t);
    if (t !== this.ledTerm) this.host.safety.elections.checkElectionQuorum(d.replica, t, status.confState);
    this.ledTerm = t;
  }

  /** What the batch makes durable, for crash targeting. Called before its hard state is written. */
  private writeKind(rd: Ready): WriteKind {
    const hs = rd.hardState;
    const previous = this.d.disk.written.hardState;
    if (hs !== null && hs.vote !== null && (hs.vote !== previous.vote || hs.term !== previous.term)) return 'vote';
    return rd.entries.length > 0 && this.d.role === Role.Leader ? 'leader-append' : 'other';
  }

  /**
   * Writes the batch's snapshot, entries and hard state; false when there was
   * nothing to write. `ledTerm` is the term this replica led in before this
   * batch (-1 if it was not leader), for the commit-rule check.
   */
  private persist(rd: Ready, ledTerm: number): boolean {
    const { disk, replica } = this.d;
    const safety = this.host.safety;
    if (rd.hardState !== null) {
      if (ledTerm === this.d.term && this.d.role === Role.Leader) {
        safety.checkLeaderCommit(replica, ledTerm, this.commitSeen, rd.hardState.commit, disk.written);
      }
      this.commitSeen = rd.hardState.commit;
      this.unwrittenHardState = rd.hardState;
    }
    const writes = rd.snapshot !== null || rd.entries.length > 0 || rd.mustSync;
    if (rd.snapshot !== null) this.ioSnapshotData = this.d.snapshots.persistReceived(rd.snapshot);
    if (rd.entries.length > 0) {
      disk.write({ kind: 'entries', entries: rd.entries }, (entry, prefixHash) => safety.onEntryWritten(replica, entry, prefixHash));
      safety.afterWrite(replica, disk.written, rd.entries);
    }
    if (writes && this.unwrittenHardState !== null) {
      disk.write({ kind: 'hard-state', hardState: this.unwrittenHardState });
      this.unwrittenHardState = null;
    }
    if (rd.hardState !== null) safety.onCommitIndex(replica, this.d.term, rd.hardState.commit, disk.written);
    if (writes) {
      const hs = disk.written.hardState;
      const first = rd.entries.length > 0 ? rd.entries[0]!.index : 0;
      const last = rd.entries.length > 0 ? rd.entries[rd.entries.length - 1]!.index : 0;
      this.d.trace(TraceKind.Persist, 0, first, last, hs.term, hs.vote === null ? 0 : replicaNumber(hs.vote), hs.commit);
    }
    return writes;
  }

  /** Steps 3 and 4 of the Ready contract, once the batch's writes are done. */
  private finish(rd: Ready): void {
    const d = this.d;
    for (const m of rd.messagesAfterPersist) this.send(m);
    if (rd.snapshot !== null) {
      simAssert(this.ioSnapshotData !== null, 'a persisted snapshot has its data');
      this.enqueue({ kind: 'install', metadata: rd.snapshot.metadata, data: this.ioSnapshotData });
      this.ioSnapshotData = null;
    }
    if (rd.committedEntries.length > 0) this.enqueue({ kind: 'entries', entries: rd.committedEntries });
    d.clients.afterApply(rd.readStates);
    try {
      d.raft!.advance();
    } catch (error) {
      d.coreFailed('advance', error);
    }
  }

  private enqueue(work: ApplyWork): void {
    this.applyQueue.push(work);
    if (this.applyQueue.scheduled) return;
    this.applyQueue.scheduled = true;
    const at = this.host.nowUnits() + this.random.between(0, this.params.applyUnitsMax);
    this.host.scheduleApply(at, this.d.replica, this.d.incarnation);
  }

  private applyEntries(entries: readonly Entry[]): void {
    const { sm, replica, clients } = this.d;
    const safety = this.host.safety;
    for (const entry of entries) {
      if (entry.index !== sm.appliedIndex + 1) {
        throw new SimViolation('core-contract', `n${replica} handed out committed entry ${entry.index} after applying ${sm.appliedIndex}`);
      }
      const outcome = sm.apply(entry);
      safety.onApply(replica, this.d.term, entry, sm.stateHash(), this.d.disk.written);
      if (outcome.kind === 'probe') this.host.probeApplied(replica, outcome.command.seq);
      else if (outcome.kind === 'command') clients.applied(outcome.command.process, outcome.command.seq, outcome.result);
    }
    this.d.trace(TraceKind.Apply, 0, entries[0]!.index, entries[entries.length - 1]!.index);
  }

  /** Sends one of the core's messages (a Snap as a chunked transfer), checking what it promises. */
  send(m: Message): void {
    const d = this.d;
    const safety = this.host.safety;
    if (LEADER_MESSAGES.has(m.type)) safety.observeLeader(d.replica, m.term);
    if (m.type === MessageType.VoteResp || m.type === MessageType.AppResp) safety.checkPromise(d.replica, m, d.disk.durable, d.disk.written);
    if (m.type === MessageType.VoteResp && !m.reject) safety.elections.onVoteCast(d.replica, m.term, m.to);
    if (m.type === MessageType.Snap) {
      d.snapshots.sendSnapshot(m);
      return;
    }
    this.host.send(d.replica, replicaNumber(m.to), { kind: 'raft', message: m });
  }
}
