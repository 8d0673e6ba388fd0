/**
 * The simulated replicas' state machine: a few integer registers, a session
 * table for exactly-once commands, and the membership as of the applied index.
 *
 * Durability follows the production rule: each apply batch writes the data
 * AND the applied index in one atomic batch, so a crash never leaves them out
 * of step. Batches need not be flushed at once (like a LevelDB write without
 * sync): a crash may lose the last unflushed batches, whole, and the replica
 * then re-applies them from its log. Installing a snapshot and taking a local
 * snapshot are always flushed.
 *
 * Sessions: a command carries (process, seq); a command whose seq is not above
 * the process's last applied seq is a duplicate (a network-duplicated forward,
 * say) and has no effect, as the design's client sessions require.
 */
import { ConfChangeType, EntryType, type ConfState, type Entry, type NodeId } from '../src/raft/core/types.js';
import { decodeConfChange } from '../src/raft/core/confchange-codec.js';
import { HASH_SEED, mixInt, mixString } from './hash.js';
import { ABSENT, CommandOp, decodeCommand, KEY_NAMES, type Command } from './kv-codec.js';
import { simAssert } from './errors.js';

interface Session {
  readonly seq: number;
  /** write: true; cas: whether it swapped. */
  readonly result: boolean;
}

interface KvState {
  values: number[];
  sessions: Map<number, Session>;
  appliedIndex: number;
  appliedTerm: number;
  conf: ConfState;
  /** Hash of `conf`, kept with it (membership changes are rare, applies are not). */
  confHash: number;
}

/** How to undo one apply: the state's scalar fields before it, and the register or session it overwrote. */
interface UndoRecord {
  readonly appliedIndex: number;
  readonly appliedTerm: number;
  readonly conf: ConfState;
  readonly confHash: number;
  readonly key: number;
  readonly previousValue: number;
  readonly process: number;
  readonly previousSession: Session | undefined;
}

export type ApplyOutcome =
  | { readonly kind: 'none' }
  | { readonly kind: 'probe'; readonly command: Command }
  | { readonly kind: 'command'; readonly command: Command; readonly result: boolean; readonly duplicate: boolean };

const NONE: ApplyOutcome = { kind: 'none' };
const NO_KEY = -1;

function confHash(conf: ConfState): number {
  let h = HASH_SEED;
  for (const v of conf.voters.slice().sort()) h = mixString(h, v);
  h = mixInt(h, -2);
  for (const l of conf.learners.slice().sort()) h = mixString(h, l);
  return h;
}

/** The membership after a change, or unchanged when the change does not apply (the core skips those too). */
export function nextConf(conf: ConfState, type: ConfChangeType, id: NodeId): ConfState {
  const voter = conf.voters.includes(id);
  const learner = conf.learners.includes(id);
  const voters = conf.voters.filter((v) => v !== id);
  const learners = conf.learners.filter((l) => l !== id);
  switch (type) {
    case ConfChangeType.AddVoter:
      return voter || learner ? conf : { voters: [...voters, id], learners };
    case ConfChangeType.AddLearner:
      return voter || learner ? conf : { voters, learners: [...learners, id] };
    case ConfChangeType.PromoteLearner:
      return learner ? { voters: [...voters, id], learners } : conf;
    case ConfChangeType.RemoveNode:
      if (!voter && !learner) return conf;
      return voter && conf.voters.length === 1 ? conf : { voters, learners };
  }
}

export class KvStateMachine {
  private live: KvState;
  /** Applies since the last flush, oldest first: what a crash rolls back. Bounded by flushing at apply-batch ends. */
  private undo: UndoRecord[] = [];

  constructor(bootstrapConf: ConfState) {
    this.live = {
      values: KEY_NAMES.map(() => ABSENT),
      sessions: new Map(),
      appliedIndex: 0,
      appliedTerm: 0,
      conf: bootstrapConf,
      confHash: confHash(bootstrapConf),
    };
  }

  get appliedIndex(): number {
    return this.live.appliedIndex;
  }

  get appliedTerm(): number {
    return this.live.appliedTerm;
  }

  get conf(): ConfState {
    return this.live.conf;
  }

  /** Applies not yet flushed. */
  get unflushedCount(): number {
    return this.undo.length;
  }

  /** The register's value, null when absent. */
  read(key: number): number | null {
    const v = this.live.values[key]!;
    return v === ABSENT ? null : v;
  }

  apply(entry: Entry): ApplyOutcome {
    const s = this.live;
    simAssert(entry.index === s.appliedIndex + 1, `apply ${entry.index} after ${s.appliedIndex}`);
    const command = entry.type === EntryType.Normal ? decodeCommand(entry.data) : null;
    const touchesRegister = command !== null && command.op !== CommandOp.Probe;
    const key = touchesRegister ? command.key : NO_KEY;
    const process = touchesRegister ? command.process : -1;
    const session = touchesRegister ? s.sessions.get(process) : undefined;
    this.undo.push({
      appliedIndex: s.appliedIndex,
      appliedTerm: s.appliedTerm,
      conf: s.conf,
      confHash: s.confHash,
      key,
      previousValue: touchesRegister ? s.values[key]! : ABSENT,
      process,
      previousSession: session,
    });
    s.appliedIndex = entry.index;
    s.appliedTerm = entry.term;
    if (entry.type === EntryType.ConfChange) {
      const change = decodeConfChange(entry.data);
      s.conf = nextConf(s.conf, change.type, change.nodeId);
      s.confHash = confHash(s.conf);
      return NONE;
    }
    if (command === null) return NONE;
    if (!touchesRegister) return { kind: 'probe', command };
    if (session !== undefined && command.seq <= session.seq) {
      return { kind: 'command', command, result: session.result, duplicate: true };
    }
    const result = this.execute(command);
    s.sessions.set(process, { seq: command.seq, result });
    return { kind: 'command', command, result, duplicate: false };
  }

  private execute(command: Command): boolean {
    const values = this.live.values;
    if (command.op === CommandOp.Write) {
      values[command.key] = command.value;
      return true;
    }
    if (values[command.key] !== command.expected) return false;
    values[command.key] = command.value;
    return true;
  }

  /** The applied batches so far become durable (their data and applied index together). */
  flush(): void {
    this.undo = [];
  }

  /** Back to the last flushed batch: unflushed applies are lost, whole, newest first. */
  crash(): void {
    const s = this.live;
    for (let k = this.undo.length - 1; k >= 0; k--) {
      const u = this.undo[k]!;
      s.appliedIndex = u.appliedIndex;
      s.appliedTerm = u.appliedTerm;
      s.conf = u.conf;
      s.confHash = u.confHash;
      if (u.key === NO_KEY) continue;
      s.values[u.key] = u.previousValue;
      if (u.previousSession === undefined) s.sessions.delete(u.process);
      else s.sessions.set(u.process, u.previousSession);
    }
    this.undo = [];
  }

  /** Hash of the replicated state (registers, applied index, membership); equal on every replica at one index. */
  stateHash(): number {
    const s = this.live;
    let h = mixInt(s.confHash, s.appliedIndex);
    for (const v of s.values) h = mixInt(h, v);
    return h;
  }

  encodeSnapshot(): Uint8Array {
    const s = this.live;
    const sessions = [...s.sessions].map(([p, v]) => [p, v.seq, v.result ? 1 : 0]);
    const record = { i: s.appliedIndex, t: s.appliedTerm, v: s.values, s: sessions, c: s.conf };
    return new TextEncoder().encode(JSON.stringify(record));
  }

  /** Replaces the whole state with a snapshot's, durably (one atomic swap). */
  install(data: Uint8Array): void {
    const record = JSON.parse(new TextDecoder().decode(data)) as {
      i: number;
      t: number;
      v: number[];
      s: Array<[number, number, number]>;
      c: ConfState;
    };
    simAssert(record.v.length === KEY_NAMES.length, 'snapshot register count');
    this.live = {
      values: record.v,
      sessions: new Map(record.s.map(([p, seq, r]) => [p, { seq, result: r === 1 }])),
      appliedIndex: record.i,
      appliedTerm: record.t,
      conf: record.c,
      confHash: confHash(record.c),
    };
    this.undo = [];
  }
}

/** The applied index a snapshot's data is at, without installing it. */
export function snapshotDataIndex(data: Uint8Array): number {
  return (JSON.parse(new TextDecoder().decode(data)) as { i: number }).i;
}
