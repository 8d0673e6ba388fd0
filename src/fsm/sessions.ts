/**
 * Client sessions for exactly-once commands (Raft dissertation §6.3).
 *
 * For each clientId the state keeps the last seq applied and its outcome.
 *  - seq == last: a retry; answered from the session, not applied again.
 *  - seq <  last: StaleSequence (the client already moved on).
 *  - no session and seq != 1: SessionExpired. A session starts at seq 1, so a
 *    client whose session was evicted learns it instead of being applied twice.
 *
 * Bound: at most `sessionsMax` sessions; the least recently used one (lowest
 * log index of its last command) is evicted. Eviction depends only on the
 * sequence of applied entries, so it is identical on every replica.
 * Limit of the guarantee: an evicted client's next seq (> 1) is refused with
 * SessionExpired, but a retry of its very first command (seq 1) cannot be told
 * from a new session. That needs sessionsMax other clients to write between
 * the attempt and its retry; size sessionsMax well above the live clients.
 *
 * In memory we keep only clientId → {seq, index} in LRU order (a Map's
 * insertion order); outcomes stay in LevelDB and are read back on a retry.
 */
import { assert } from '../raft/core/errors.js';
import type { BatchWrites } from './batch.js';
import { decodeRecord, encodeRecord } from './codec.js';
import { Prefix, prefixRange, sessionKey } from './keys.js';
import type { EntryOutcome } from './results.js';
import { scanDb, type Db } from './store.js';

export interface SessionRecord {
  readonly seq: number;
  /** Log index of the command; orders sessions for LRU eviction. */
  readonly index: number;
  /** Revision after the command was applied (returned again on a retry). */
  readonly revision: number;
  readonly outcome: EntryOutcome;
}

interface SessionHead {
  readonly seq: number;
  readonly index: number;
}

export class SessionTable {
  private readonly heads = new Map<string, SessionHead>();

  private constructor() {}

  /** Loads every session, oldest first. Bounded by sessionsMax records. */
  static async load(db: Db, sessionsMax: number): Promise<SessionTable> {
    const table = new SessionTable();
    const loaded: [string, SessionHead][] = [];
    for await (const [key, value] of scanDb(db, prefixRange(Prefix.session), { limit: sessionsMax + 1 })) {
      const record = decodeRecord<SessionRecord>(value);
      loaded.push([key.slice(Prefix.session.length), { seq: record.seq, index: record.index }]);
    }
    assert(loaded.length <= sessionsMax, `stored sessions (${loaded.length}) exceed sessionsMax ${sessionsMax}`);
    loaded.sort((a, b) => a[1].index - b[1].index);
    for (const [clientId, head] of loaded) table.heads.set(clientId, head);
    return table;
  }

  get size(): number {
    return this.heads.size;
  }

  lastSeq(clientId: string): number | undefined {
    return this.heads.get(clientId)?.seq;
  }

  /** The stored record of a session (for answering a retry). */
  read(batch: BatchWrites, clientId: string): SessionRecord {
    const bytes = batch.get(sessionKey(clientId));
    assert(bytes !== undefined, `session ${clientId} is in memory but not stored`);
    return decodeRecord<SessionRecord>(bytes);
  }

  /** Records the outcome of (clientId, seq) and evicts beyond `sessionsMax`. */
  record(batch: BatchWrites, clientId: string, record: SessionRecord, sessionsMax: number): void {
    const previous = this.heads.get(clientId);
    assert(previous === undefined || record.seq > previous.seq, 'session seq increases');
    assert(previous === undefined || record.index > previous.index, 'session index increases');
    this.heads.delete(clientId);
    this.heads.set(clientId, { seq: record.seq, index: record.index });
    batch.put(sessionKey(clientId), encodeRecord(record));
    while (this.heads.size > sessionsMax) {
      const oldest = this.heads.keys().next().value as string;
      this.heads.delete(oldest);
      batch.del(sessionKey(oldest));
    }
  }
}
