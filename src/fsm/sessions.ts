/**
 * Client sessions for exactly-once commands with several in flight per client
 * (Raft dissertation §6.3).
 *
 * Every command of a client carries its `seq` and its `firstUnackedSeq` (the
 * lowest seq the client still awaits a response for; absent = seq). Per
 * client the state keeps a floor and the results of the seqs it applied at or
 * above the floor:
 *  - seq < floor: StaleSequence, never applied. Either the client already
 *    received that response (a stray duplicate) or its result was dropped at
 *    the per-client bound below; refusing is safe, applying might not be.
 *  - seq has a stored result: a retry; answered from it, not applied again.
 *  - otherwise: applied, and its result stored. Seqs may arrive in any order
 *    (writes in flight travel different connections and forwarding paths).
 * Applying a command raises the floor to its firstUnackedSeq and drops the
 * results below: the client said it has them.
 *
 * Invariant (per session): every stored seq is >= floor, and every seq >=
 * floor that was applied has a stored result. So a seq is applied at most
 * once for as long as its session exists.
 *
 * Bounds:
 *  - SESSION_RESULTS_MAX results per client. Beyond it the lowest stored seq
 *    is dropped and the floor moves just above it. A client keeps the span of
 *    its unanswered seqs below this bound (client/write-queue.ts), so for it
 *    the drop never touches a seq it may still retry.
 *  - `sessionsMax` sessions; the least recently used one (lowest log index of
 *    its last applied command) is evicted with all its results.
 *  Worst case stored: sessionsMax × SESSION_RESULTS_MAX results (a client that
 *  never advances firstUnackedSeq); a well-behaved client keeps about as many
 *  as it has writes in flight. In memory: the heads, each with its stored seqs.
 * Eviction depends only on the sequence of applied entries, so it is
 * identical on every replica, after a restart and after a snapshot restore.
 *
 * Limit of the guarantee: an unknown client starts a session at any seq (a
 * first write that never reached the log must not lock the client out). So
 * after its session was evicted, a retry of a command applied before the
 * eviction would be applied again; that takes sessionsMax other clients
 * writing in between. Size sessionsMax well above the number of live clients.
 *
 * Layout: s/<clientId> holds the head {index, floorSeq, seqs}; each result is
 * its own record o/<clientId>\0<seq> {revision, outcome}, read back only on a
 * retry. Heads written by an older version ({seq, index, revision, outcome}:
 * one result) are converted when the table is loaded.
 */
import { assert } from '../raft/core/errors.js';
import type { BatchWrites } from './batch.js';
import { decodeRecord, encodeRecord } from './codec.js';
import { Prefix, prefixRange, sessionKey, sessionResultKey, toBuffer } from './keys.js';
import { SESSION_RESULTS_MAX } from './limits.js';
import type { EntryOutcome } from './results.js';
import { scanDb, type Db } from './store.js';

/** What a retry of a seq gets back. */
export interface SessionResult {
  /** Revision after the command was applied. */
  readonly revision: number;
  readonly outcome: EntryOutcome;
}

/** One session, in memory exactly as stored under s/<clientId>. */
interface SessionHead {
  /** Log index of the last command applied for the client; orders sessions for LRU eviction. */
  index: number;
  /** Every seq below it is refused as StaleSequence. */
  floorSeq: number;
  /** The applied seqs >= floorSeq, ascending, each with a result record; at most SESSION_RESULTS_MAX. */
  seqs: number[];
}

/** A session head as an older version stored it: the last seq and its result. */
interface LegacyHead {
  readonly seq: number;
  readonly index: number;
  readonly revision: number;
  readonly outcome: EntryOutcome;
}

/** What to do with (clientId, seq). */
export type SessionVerdict =
  | { readonly kind: 'apply' }
  | { readonly kind: 'duplicate'; readonly result: SessionResult }
  | { readonly kind: 'stale'; readonly floorSeq: number };

/** The outcome of one applied command, to remember for its retries. */
export interface AppliedCommand {
  readonly seq: number;
  /** From the command; absent in the envelope means seq. */
  readonly firstUnackedSeq: number;
  /** Log index of the command's entry. */
  readonly index: number;
  readonly result: SessionResult;
}

export class SessionTable {
  /** Insertion order is LRU order: the first head is the least recently used. */
  private readonly heads = new Map<string, SessionHead>();
  /**
   * Clients whose head changed since the last LevelDB write: written once by
   * writeChangedHeads() when the next one is sealed, not once per command (a
   * client with many writes in flight changes its head on every one of them).
   */
  private readonly changed = new Set<string>();

  private constructor() {}

  /** Loads every session, oldest first. Bounded by sessionsMax records. */
  static async load(db: Db, sessionsMax: number): Promise<SessionTable> {
    const table = new SessionTable();
    const loaded: [string, SessionHead][] = [];
    const conversions: StoreWrite[] = [];
    for await (const [key, value] of scanDb(db, prefixRange(Prefix.session), { limit: sessionsMax + 1 })) {
      const clientId = key.slice(Prefix.session.length);
      const stored = decodeRecord<SessionHead | LegacyHead>(value);
      const head = 'outcome' in stored ? convertLegacy(conversions, clientId, stored) : stored;
      assertHead(clientId, head);
      loaded.push([clientId, head]);
    }
    assert(loaded.length <= sessionsMax, `stored sessions (${loaded.length}) exceed sessionsMax ${sessionsMax}`);
    if (conversions.length > 0) await db.batch(conversions);
    loaded.sort((a, b) => a[1].index - b[1].index);
    for (const [clientId, head] of loaded) table.heads.set(clientId, head);
    return table;
  }

  get size(): number {
    return this.heads.size;
  }

  /** Decides about (clientId, seq); reads the stored result of a retry. */
  check(batch: BatchWrites, clientId: string, seq: number): SessionVerdict {
    const head = this.heads.get(clientId);
    if (head === undefined) return { kind: 'apply' };
    if (seq < head.floorSeq) return { kind: 'stale', floorSeq: head.floorSeq };
    if (!head.seqs.includes(seq)) return { kind: 'apply' };
    const bytes = batch.get(sessionResultKey(clientId, seq));
    assert(bytes !== undefined, `result of ${clientId} seq ${seq} is in the session but not stored`);
    return { kind: 'duplicate', result: decodeRecord<SessionResult>(bytes) };
  }

  /**
   * Remembers an applied command (check() said 'apply'): raises the floor to
   * its firstUnackedSeq, stores its result, then enforces both bounds.
   */
  record(batch: BatchWrites, clientId: string, command: AppliedCommand, sessionsMax: number): void {
    const { seq, firstUnackedSeq, index } = command;
    assert(firstUnackedSeq >= 1 && firstUnackedSeq <= seq, `firstUnackedSeq ${firstUnackedSeq} is in [1, seq ${seq}]`);
    const head = this.heads.get(clientId) ?? { index: 0, floorSeq: firstUnackedSeq, seqs: [] };
    assert(seq >= head.floorSeq && !head.seqs.includes(seq), `seq ${seq} of ${clientId} is new to its session`);
    assert(index > head.index, 'a session is used at increasing log indexes');
    raiseFloor(batch, clientId, head, firstUnackedSeq);
    head.seqs.splice(insertionPoint(head.seqs, seq), 0, seq);
    const { revision, outcome } = command.result;
    batch.put(sessionResultKey(clientId, seq), encodeRecord({ revision, outcome }));
    // Beyond the bound the lowest seq goes, even if it is the one just applied: its answer is the return value.
    if (head.seqs.length > SESSION_RESULTS_MAX) raiseFloor(batch, clientId, head, head.seqs[0]! + 1);
    head.index = index;
    this.heads.delete(clientId);
    this.heads.set(clientId, head);
    this.changed.add(clientId);
    assertHead(clientId, head);
    while (this.heads.size > sessionsMax) this.evictOldest(batch);
  }

  /** Stages the heads record() changed since the last call; call once per LevelDB write, before submitting it. */
  writeChangedHeads(batch: BatchWrites): void {
    for (const clientId of this.changed) batch.put(sessionKey(clientId), encodeHead(this.heads.get(clientId)!));
    this.changed.clear();
  }

  private evictOldest(batch: BatchWrites): void {
    const [clientId, head] = this.heads.entries().next().value as [string, SessionHead];
    this.heads.delete(clientId);
    this.changed.delete(clientId);
    for (const seq of head.seqs) batch.del(sessionResultKey(clientId, seq));
    batch.del(sessionKey(clientId));
  }
}

/** Moves the floor up to `floorSeq` (never down), dropping the results below it. */
function raiseFloor(batch: BatchWrites, clientId: string, head: SessionHead, floorSeq: number): void {
  if (floorSeq <= head.floorSeq) return;
  head.floorSeq = floorSeq;
  while (head.seqs.length > 0 && head.seqs[0]! < floorSeq) batch.del(sessionResultKey(clientId, head.seqs.shift()!));
}

/** Index at which `seq` keeps `seqs` ascending (seqs holds at most SESSION_RESULTS_MAX + 1 numbers). */
function insertionPoint(seqs: readonly number[], seq: number): number {
  let i = seqs.length;
  while (i > 0 && seqs[i - 1]! > seq) i -= 1;
  return i;
}

/** Fields in a fixed order, so every replica stores the same bytes. */
function encodeHead(head: SessionHead): Buffer {
  return encodeRecord({ index: head.index, floorSeq: head.floorSeq, seqs: head.seqs });
}

interface StoreWrite {
  readonly type: 'put';
  readonly key: Buffer;
  readonly value: Buffer;
}

/**
 * Rewrites an older version's head as a head plus one result (into `writes`,
 * written by load()). Deterministic, so replicas converting the same state
 * end byte-identical; converting again after a crash writes the same bytes.
 */
function convertLegacy(writes: StoreWrite[], clientId: string, legacy: LegacyHead): SessionHead {
  const head: SessionHead = { index: legacy.index, floorSeq: legacy.seq, seqs: [legacy.seq] };
  const result = { revision: legacy.revision, outcome: legacy.outcome };
  writes.push({ type: 'put', key: toBuffer(sessionResultKey(clientId, legacy.seq)), value: encodeRecord(result) });
  writes.push({ type: 'put', key: toBuffer(sessionKey(clientId)), value: encodeHead(head) });
  return head;
}

function assertHead(clientId: string, head: SessionHead): void {
  const { seqs, floorSeq } = head;
  assert(Number.isSafeInteger(floorSeq) && floorSeq >= 1, `session ${clientId} has floor ${floorSeq}`);
  assert(seqs.length <= SESSION_RESULTS_MAX, `session ${clientId} holds ${seqs.length} results`);
  assert(
    seqs.every((seq, i) => seq >= floorSeq && (i === 0 || seq > seqs[i - 1]!)),
    `session ${clientId}: stored seqs ascend from the floor`,
  );
}
