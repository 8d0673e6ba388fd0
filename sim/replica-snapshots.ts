/**
 * A replica driver's snapshot work: taking a local snapshot and compacting;
 * sending the core's Snap messages as chunked transfers and reporting their
 * outcome to the core; assembling received chunks; persisting and installing
 * a snapshot the core hands out in a Ready.
 */
import type { ConfState, Message, NodeId, Snapshot, SnapshotMetadata } from '../src/raft/core/types.js';
import { logIndex } from '../src/raft/core/types.js';
import type { StoredSnapshot } from './disk.js';
import type { DriverHost } from './driver-host.js';
import type { DriverParams, ReplicaDriver } from './driver.js';
import { SimViolation } from './errors.js';
import { replicaId, replicaNumber } from './ids.js';
import { snapshotDataIndex } from './kv.js';
import { cutIntoChunks, SnapshotAssembler, SnapshotSends, type SnapshotChunk } from './snapshot-transfer.js';
import { TraceKind } from './trace-format.js';

/** Snapshots received by chunks whose data the driver keeps until the core hands them out. */
const RECEIVED_KEPT_MAX = 2;
const PARTIAL_TRANSFERS_MAX = 2;
const RECENT_SNAPSHOTS_KEPT = 3;

const snapshotKey = (index: number, term: number): string => `${index}:${term}`;

export class ReplicaSnapshots {
  private readonly sends = new SnapshotSends();
  private readonly assembler = new SnapshotAssembler(PARTIAL_TRANSFERS_MAX);
  private readonly received = new Map<string, Uint8Array>();
  /** Snapshots taken or installed lately, newest last (bounded). */
  private recent: StoredSnapshot[] = [];

  constructor(
    private readonly driver: ReplicaDriver,
    private readonly host: DriverHost,
    private readonly params: DriverParams,
  ) {}

  clear(): void {
    this.sends.clear();
    this.assembler.clear();
    this.received.clear();
    this.recent = [];
  }

  /** Snapshot of the state machine at its applied index; compacts all but `retain` entries before it. */
  takeLocal(retain: number): void {
    const { sm, disk } = this.driver;
    const index = sm.appliedIndex;
    if (index === 0 || index <= disk.durable.snapshotIndex) return;
    let metadata: SnapshotMetadata;
    try {
      metadata = this.driver.raft!.compact(logIndex(index), retain);
    } catch (error) {
      this.driver.coreFailed(`compact(${index}, ${retain})`, error);
    }
    if (metadata.index !== index) return; // the core already holds a newer snapshot (installed, not yet applied here)
    if (metadata.term !== sm.appliedTerm) {
      throw new SimViolation('core-contract', `n${this.driver.replica} compact(${index}) returned term ${metadata.term}; the entry applied there has term ${sm.appliedTerm}`);
    }
    checkSameMembers(this.driver.replica, metadata, sm.conf);
    const held = disk.written.log.prefixHashAt(index);
    const prefixHash = held !== -1 ? held : this.host.safety.prefixHashOf(index, metadata.term, this.driver.replica);
    const stored = { metadata, data: sm.encodeSnapshot(), prefixHash };
    disk.saveLocalSnapshot(stored, Math.max(0, index - retain));
    this.remember(stored);
    this.driver.trace(TraceKind.SnapshotTaken, 0, index, retain);
  }

  /** Keeps recent snapshots (as snapshot files on disk) for transfers the core asked for before a newer one was taken. */
  private remember(stored: StoredSnapshot): void {
    this.recent.push(stored);
    if (this.recent.length > RECENT_SNAPSHOTS_KEPT) this.recent.shift();
  }

  private findStored(index: number, term: number): StoredSnapshot | undefined {
    const latest = this.driver.disk.written.snapshot;
    if (latest !== null && latest.metadata.index === index && latest.metadata.term === term) return latest;
    return this.recent.find((s) => s.metadata.index === index && s.metadata.term === term);
  }

  /**
   * Streams the snapshot a Snap message names. If this replica no longer
   * holds it (a newer one replaced it since the core queued the message), the
   * transfer fails at once and the core will retry with its latest snapshot.
   */
  sendSnapshot(m: Message): void {
    const metadata = m.snapshot?.metadata;
    if (metadata === undefined) throw new SimViolation('core-contract', `n${this.driver.replica} sent a Snap message without a snapshot`);
    const transferId = this.host.nextTransferId();
    this.sends.start(m.to, transferId);
    const to = replicaNumber(m.to);
    const data = m.snapshot!.data.length > 0 ? m.snapshot!.data : this.findStored(metadata.index, metadata.term)?.data;
    if (data === undefined) {
      const newest = this.driver.disk.written.snapshotIndex;
      if (newest <= metadata.index) {
        throw new SimViolation('core-contract', `n${this.driver.replica} sent a snapshot at ${metadata.index} term ${metadata.term} that it never took`);
      }
      this.driver.trace(TraceKind.SnapshotSend, to, metadata.index, 0, transferId);
      this.report(m.to, transferId, 'failed');
      return;
    }
    const chunks = cutIntoChunks(transferId, m, data, this.params.chunkBytes);
    for (const chunk of chunks) this.host.send(this.driver.replica, to, { kind: 'snap-chunk', chunk });
    const at = this.host.nowUnits() + this.params.snapshotTransferTimeoutUnits;
    this.host.scheduleSnapshotTimeout(at, this.driver.replica, this.driver.incarnation, m.to, transferId);
    this.driver.trace(TraceKind.SnapshotSend, to, metadata.index, chunks.length, transferId);
  }

  /** A chunk arrived; returns the complete Snap message (to step into the core) once all have. */
  chunkArrived(from: number, chunk: SnapshotChunk): Message | null {
    const assembled = this.assembler.add(from, chunk);
    if (assembled === null) return null;
    const snapshot = assembled.message.snapshot!;
    this.received.set(snapshotKey(snapshot.metadata.index, snapshot.metadata.term), snapshot.data);
    if (this.received.size > RECEIVED_KEPT_MAX) this.received.delete(this.received.keys().next().value!);
    this.host.send(this.driver.replica, from, { kind: 'snap-ack', ack: { transferId: chunk.transferId } });
    this.driver.trace(TraceKind.SnapshotAssembled, from, snapshot.metadata.index, chunk.transferId);
    return assembled.message;
  }

  ackArrived(from: number, transferId: number): void {
    this.report(replicaId(from), transferId, 'finished');
  }

  transferTimedOut(peer: NodeId, transferId: number): void {
    this.report(peer, transferId, 'failed');
  }

  connectionBroke(peer: NodeId): void {
    const transferId = this.sends.outstandingTo(peer);
    if (transferId !== undefined) this.report(peer, transferId, 'failed');
  }

  private report(peer: NodeId, transferId: number, status: 'finished' | 'failed'): void {
    if (!this.sends.finish(peer, transferId)) return;
    this.driver.trace(status === 'finished' ? TraceKind.SnapshotFinished : TraceKind.SnapshotFailed, replicaNumber(peer), transferId);
    try {
      this.driver.raft!.reportSnapshot(peer, status);
    } catch (error) {
      this.driver.coreFailed(`reportSnapshot(${peer}, ${status})`, error);
    }
  }

  /** Step 2 for a Ready's snapshot: write it to the WAL (it replaces the whole log); returns its data. */
  persistReceived(snapshot: Snapshot): Uint8Array {
    const { index, term } = snapshot.metadata;
    const data = snapshot.data.length > 0 ? snapshot.data : this.received.get(snapshotKey(index, term));
    if (data === undefined) {
      throw new SimViolation('core-contract', `n${this.driver.replica} handed out a snapshot at ${index} term ${term} it never received`);
    }
    const prefixHash = this.host.safety.prefixHashOf(index, term, this.driver.replica);
    const stored = { metadata: snapshot.metadata, data, prefixHash };
    this.driver.disk.write({ kind: 'snapshot', snapshot: stored });
    this.remember(stored);
    return data;
  }

  /** Step 4 for a Ready's snapshot: replace the state machine, before any later entry is applied. */
  install(metadata: SnapshotMetadata, data: Uint8Array): void {
    if (snapshotDataIndex(data) !== metadata.index) {
      throw new SimViolation('core-contract', `n${this.driver.replica} snapshot data does not match its metadata index ${metadata.index}`);
    }
    const sm = this.driver.sm;
    sm.install(data);
    this.host.safety.onSnapshotInstalled(this.driver.replica, metadata, sm.stateHash(), sm.conf);
    this.driver.trace(TraceKind.SnapshotInstalled, 0, metadata.index, metadata.term);
  }
}

const sameMembers = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && a.every((x) => b.includes(x));

/** The core's membership at a snapshot index must be the state machine's there. */
function checkSameMembers(replica: number, metadata: SnapshotMetadata, smConf: ConfState): void {
  const { voters, learners } = metadata.confState;
  if (sameMembers(voters, smConf.voters) && sameMembers(learners, smConf.learners)) return;
  throw new SimViolation(
    'state-machine-safety',
    `n${replica} snapshot at ${metadata.index}: the core's membership ${JSON.stringify(metadata.confState)} differs from the state machine's ${JSON.stringify(smConf)}`,
  );
}
