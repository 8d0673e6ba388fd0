/**
 * A small in-memory cluster of Raft cores for the core's tests: it plays the
 * driver for every replica (persist, send, apply, advance, in the order Ready
 * demands), delivers messages through a FIFO network that can drop messages
 * or cut links, and crashes/restarts replicas from what they persisted.
 * Every loop is bounded; exceeding a bound fails the test.
 */
import {
  createRaft,
  DEFAULT_RAFT_CONFIG,
  EntryType,
  MessageType,
  Role,
  seededRng,
  nodeId,
  logIndex,
  term,
  type ConfState,
  type Entry,
  type HardState,
  type Message,
  type NodeId,
  type RaftConfig,
  type RaftCore,
  type Ready,
  type ReadState,
  type SnapshotMetadata,
} from '../../../src/raft/core/index.js';

/** What a replica has made durable (its "disk"). */
export interface Durable {
  hardState: HardState;
  snapshot: SnapshotMetadata | null;
  /** Applied application data at the snapshot point (the "state machine snapshot"). */
  snapshotData: string[];
  entries: Entry[];
}

export interface Replica {
  id: NodeId;
  core: RaftCore;
  disk: Durable;
  /** Application data applied, in order (no-ops and conf changes excluded), plus the applied index. */
  appliedData: string[];
  appliedIndex: number;
  /** Index -> term of every entry applied (to check that all replicas apply the same entries). */
  appliedTerms: Map<number, number>;
  /** Index -> length of appliedData once that index was applied (to cut state machine snapshots). */
  appliedCountAt: Map<number, number>;
  readStates: ReadState[];
  up: boolean;
}

export interface ClusterOptions {
  config?: Partial<Omit<RaftConfig, 'id'>>;
  seed?: number;
  /** Members that exist at index 0 (default: all ids as voters). */
  bootstrap?: ConfState;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
export const bytes = (s: string): Uint8Array => encoder.encode(s);
export const text = (b: Uint8Array): string => decoder.decode(b);

export class Cluster {
  readonly replicas = new Map<NodeId, Replica>();
  /** Messages in flight, oldest first. */
  queue: Message[] = [];
  /** Every message ever sent (for counting round trips and inspecting traffic). */
  sent: Message[] = [];
  /** Return true to drop a message. */
  dropIf: ((m: Message) => boolean) | null = null;
  /** Observe every Ready a replica hands out (before the harness processes it). */
  onReady: ((id: NodeId, rd: Ready) => void) | null = null;
  /** Replace a message on the wire (e.g. deliver fewer entries, as a smaller batch would). */
  rewrite: ((m: Message) => Message) | null = null;
  private readonly cut = new Set<string>();
  readonly bootstrap: ConfState;
  private seed: number;

  constructor(
    ids: string[],
    private readonly options: ClusterOptions = {},
  ) {
    this.seed = options.seed ?? 1;
    this.bootstrap = options.bootstrap ?? { voters: ids.map(nodeId), learners: [] };
    for (const id of ids) this.add(id);
  }

  /** Create a replica with an empty disk (a new member joining uses the cluster's bootstrap config). */
  add(id: string): Replica {
    const disk: Durable = { hardState: { term: term(0), vote: null, commit: logIndex(0) }, snapshot: null, snapshotData: [], entries: [] };
    const replica: Replica = {
      id: nodeId(id),
      core: null as unknown as RaftCore,
      disk,
      appliedData: [],
      appliedIndex: 0,
      appliedTerms: new Map(),
      appliedCountAt: new Map(),
      readStates: [],
      up: true,
    };
    this.replicas.set(replica.id, replica);
    this.boot(replica);
    return replica;
  }

  config(id: NodeId): RaftConfig {
    return { ...DEFAULT_RAFT_CONFIG, ...this.options.config, id };
  }

  private boot(r: Replica): void {
    r.core = createRaft(
      this.config(r.id),
      {
        hardState: r.disk.hardState,
        snapshot: r.disk.snapshot,
        entries: r.disk.entries.slice(),
        bootstrapConfState: this.bootstrap,
        appliedIndex: logIndex(r.appliedIndex),
      },
      seededRng(this.seed++ * 7919),
    );
  }

  get(id: string): Replica {
    const r = this.replicas.get(nodeId(id));
    if (r === undefined) throw new Error(`no replica ${id}`);
    return r;
  }

  core(id: string): RaftCore {
    return this.get(id).core;
  }

  // ---- network -----------------------------------------------------------

  /** Cut (both directions) every link between `a` and each of `others`. */
  isolate(a: string, others: string[] = [...this.replicas.keys()]): void {
    for (const b of others) if (b !== a) this.cut.add(`${a}|${b}`).add(`${b}|${a}`);
  }

  /** Split into groups that cannot reach each other. */
  partition(...groups: string[][]): void {
    for (const g of groups) for (const h of groups) if (g !== h) for (const a of g) for (const b of h) this.cut.add(`${a}|${b}`);
  }

  heal(): void {
    this.cut.clear();
  }

  private linkUp(m: Message): boolean {
    return !this.cut.has(`${m.from}|${m.to}`);
  }

  // ---- driving -----------------------------------------------------------

  /** Run one replica's Ready cycle, as a driver must: send-before, persist, send-after, apply, advance. */
  processReady(id: NodeId): boolean {
    const r = this.replicas.get(id)!;
    if (!r.up || !r.core.hasReady()) return false;
    const rd = r.core.ready();
    if (this.onReady !== null) this.onReady(id, rd);
    this.send(rd.messagesBeforePersist);
    if (rd.snapshot !== null) {
      r.disk.snapshot = rd.snapshot.metadata;
      r.disk.entries = [];
      r.disk.snapshotData = this.snapshotDataFor(rd.snapshot.metadata);
    }
    if (rd.entries.length > 0) {
      const first = rd.entries[0]!.index;
      r.disk.entries = r.disk.entries.filter((e) => e.index < first).concat(rd.entries);
    }
    if (rd.hardState !== null) r.disk.hardState = rd.hardState;
    this.send(rd.messagesAfterPersist);
    if (rd.snapshot !== null) {
      r.appliedData = r.disk.snapshotData.slice();
      r.appliedIndex = rd.snapshot.metadata.index;
      r.appliedTerms.set(rd.snapshot.metadata.index, rd.snapshot.metadata.term);
      r.appliedCountAt.set(rd.snapshot.metadata.index, r.appliedData.length);
    }
    for (const e of rd.committedEntries) this.apply(r, e);
    r.readStates.push(...rd.readStates);
    r.core.advance();
    return true;
  }

  private apply(r: Replica, e: Entry): void {
    if (e.index !== r.appliedIndex + 1) throw new Error(`${r.id} applies ${e.index} after ${r.appliedIndex}`);
    r.appliedIndex = e.index;
    r.appliedTerms.set(e.index, e.term);
    if (e.type === EntryType.Normal && e.data.length > 0) r.appliedData.push(text(e.data));
    r.appliedCountAt.set(e.index, r.appliedData.length);
  }

  /** The application state of the replica that took the snapshot at `meta` (every replica that applied it agrees). */
  private snapshotDataFor(meta: SnapshotMetadata): string[] {
    for (const r of this.replicas.values()) {
      if (r.disk.snapshot !== null && r.disk.snapshot.index === meta.index && r.disk.snapshotData.length >= 0 && r.appliedIndex >= meta.index) {
        return r.disk.snapshotData.slice();
      }
    }
    throw new Error(`nobody holds the snapshot at ${meta.index}`);
  }

  private send(msgs: readonly Message[]): void {
    for (const m of msgs) {
      this.sent.push(m);
      this.queue.push(m);
    }
  }

  /** Deliver every queued message once (new ones produced meanwhile wait). Returns how many were delivered. */
  deliverAll(): number {
    const batch = this.queue;
    this.queue = [];
    let delivered = 0;
    for (const m of batch) if (this.deliver(m)) delivered++;
    return delivered;
  }

  deliver(m: Message): boolean {
    const to = this.replicas.get(m.to);
    const from = this.replicas.get(m.from);
    if (from === undefined || !from.up) return false;
    if (to === undefined || !to.up || !this.linkUp(m) || (this.dropIf !== null && this.dropIf(m))) {
      // A real transport learns that a snapshot stream failed and tells the sender.
      if (m.type === MessageType.Snap) from.core.reportSnapshot(m.to, 'failed');
      return false;
    }
    to.core.step(this.rewrite === null ? m : this.rewrite(m));
    if (m.type === MessageType.Snap) {
      // The driver streamed the snapshot data alongside; report the outcome to the sender.
      from.core.reportSnapshot(m.to, 'finished');
    }
    return true;
  }

  /** Run Ready cycles and deliver messages until nothing moves. Bounded by `roundsMax`. */
  stabilize(roundsMax = 200): number {
    for (let round = 0; round < roundsMax; round++) {
      let moved = false;
      for (const id of this.replicas.keys()) while (this.processReady(id)) moved = true;
      if (this.deliverAll() > 0) moved = true;
      if (!moved) return round;
    }
    const tail = this.sent.slice(-12).map((m) => `${m.type} ${m.from}->${m.to} t${m.term} i${m.index} lt${m.logTerm} c${m.commit} n${m.entries.length}${m.reject ? ' reject' : ''}`);
    throw new Error(`cluster did not stabilize within ${roundsMax} rounds; last messages:\n  ${tail.join('\n  ')}`);
  }

  /** Tick the given replicas (default: all up) `n` times, processing Ready and messages after each tick. */
  tick(n = 1, ids: string[] = this.upIds()): void {
    for (let i = 0; i < n; i++) {
      for (const id of ids) if (this.get(id).up) this.core(id).tick();
      this.stabilize();
    }
  }

  upIds(): string[] {
    return [...this.replicas.values()].filter((r) => r.up).map((r) => r.id);
  }

  /** Tick `id` alone until it starts campaigning, then let the election finish. */
  campaign(id: string): void {
    const core = this.core(id);
    const limit = 4 * this.config(nodeId(id)).electionTimeoutTicks;
    for (let i = 0; i < limit; i++) {
      core.tick();
      const role = core.status().role;
      if (role === Role.PreCandidate || role === Role.Candidate || role === Role.Leader) {
        this.stabilize();
        return;
      }
    }
    throw new Error(`${id} did not campaign within ${limit} ticks`);
  }

  /** Elect `id` and make sure it wins. */
  elect(id: string): void {
    this.campaign(id);
    const st = this.core(id).status();
    if (st.role !== Role.Leader) throw new Error(`${id} lost the election (role ${st.role}, leader ${st.leader})`);
  }

  /** The replica that is leader in the highest term, or null. */
  leader(): Replica | null {
    let best: Replica | null = null;
    for (const r of this.replicas.values()) {
      if (!r.up) continue;
      const st = r.core.status();
      if (st.role === Role.Leader && (best === null || st.hardState.term > best.core.status().hardState.term)) best = r;
    }
    return best;
  }

  crash(id: string): void {
    const r = this.get(id);
    r.up = false;
    this.queue = this.queue.filter((m) => m.to !== r.id && m.from !== r.id);
  }

  /** Restart from the disk: the core forgets everything not persisted; the state machine restarts from its snapshot. */
  restart(id: string, keepApplied = false): void {
    const r = this.get(id);
    r.up = true;
    if (!keepApplied) {
      r.appliedData = r.disk.snapshotData.slice();
      r.appliedIndex = r.disk.snapshot?.index ?? 0;
    }
    this.boot(r);
  }

  /** Propose on `id` and return the result. */
  propose(id: string, data: string) {
    return this.core(id).propose(bytes(data));
  }

  /** Take a state machine snapshot on `id` at `index` (default: its applied index) and compact its log. */
  compact(id: string, retainEntries = 0, index = this.get(id).appliedIndex): void {
    const r = this.get(id);
    const count = r.appliedCountAt.get(index);
    if (count === undefined) throw new Error(`${id} has no state machine state at ${index}`);
    const meta = r.core.compact(logIndex(index), retainEntries);
    if (meta.index !== index) return; // not newer than the snapshot it has
    r.disk.snapshot = meta;
    r.disk.snapshotData = r.appliedData.slice(0, count);
    r.disk.entries = r.disk.entries.filter((e) => e.index > index);
  }

  /** Messages of `type` sent so far (optionally only from/to a node). */
  count(type: MessageType, filter: { from?: string; to?: string } = {}): number {
    return this.sent.filter((m) => m.type === type && (filter.from === undefined || m.from === filter.from) && (filter.to === undefined || m.to === filter.to)).length;
  }
}
