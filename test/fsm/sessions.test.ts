/**
 * Goal: exactly-once commands with several in flight per client (Raft
 * dissertation §6.3). A retried (clientId, seq) returns the first outcome
 * without applying again — also across a restart and a snapshot restore —
 * seqs may arrive out of order, a seq below the session's floor (its answer
 * was received, or dropped at the per-client bound) is StaleSequence and never
 * applied, an unknown client starts a session at any seq, and both bounds
 * (results per client, sessions) evict deterministically.
 * Method: build log entries by hand (a retry after a leader change looks
 * exactly like the same command in a second entry; a write lost before the
 * log is simply absent) and compare results, the kv state and the stored keys.
 */
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeCommand, encodeRecord } from '../../src/fsm/codec.js';
import type { Op } from '../../src/fsm/commands.js';
import { SESSION_RESULTS_MAX } from '../../src/fsm/limits.js';
import type { StateMachine } from '../../src/fsm/state-machine.js';
import type { SnapshotChunk } from '../../src/fsm/snapshot-format.js';
import type { Entry } from '../../src/raft/core/types.js';
import {
  applied,
  applyOne,
  bytes,
  cleanupDirs,
  closeAll,
  dumpDir,
  expectRejected,
  Log,
  openFsm,
  tempDir,
} from './helpers.js';

afterEach(async () => {
  await closeAll();
  await cleanupDirs();
});

const put = (key: string, value = 'v'): Op => ({ kind: 'kv.put', namespace: 'app', key, value: bytes(value) });

/** An entry of client `clientId` with `seq`; `firstUnackedSeq` absent = an old client (one outstanding). */
function cmd(log: Log, op: Op, clientId: string, seq: number, firstUnackedSeq?: number): Entry {
  const fields = firstUnackedSeq === undefined ? {} : { firstUnackedSeq };
  return log.raw(encodeCommand({ v: 1, clientId, seq, ...fields, op }));
}

async function kvVersion(sm: StateMachine, key: string): Promise<number | undefined> {
  return (await sm.read((v) => v.kvGet('app', key)))?.version;
}

/** Stored per-seq results (key prefix o/) in a closed database directory. */
async function storedResultCount(dir: string): Promise<number> {
  const prefix = Buffer.from('o/').toString('hex');
  return (await dumpDir(dir)).filter(([key]) => key.startsWith(prefix)).length;
}

async function snapshotOf(sm: StateMachine): Promise<SnapshotChunk[]> {
  const chunks: SnapshotChunk[] = [];
  for await (const chunk of await sm.createSnapshot()) chunks.push(chunk);
  return chunks;
}

async function* replay(chunks: readonly SnapshotChunk[]): AsyncGenerator<SnapshotChunk> {
  for (const chunk of chunks) yield chunk;
}

describe('sessions: retries', () => {
  it('a retried command returns the stored result and is not applied twice', async () => {
    const sm = await openFsm();
    const log = new Log();
    const first = await applyOne(sm, cmd(log, put('counter', '1'), 'client-a', 1, 1));
    await applyOne(sm, cmd(log, put('other'), 'client-b', 1, 1));
    const retry = await applyOne(sm, cmd(log, put('counter', '1'), 'client-a', 1, 1));
    expect(retry.duplicate).toBe(true);
    expect(retry.outcome).toEqual(first.outcome);
    expect(retry.revision).toBe(first.revision);
    const entry = await sm.read((v) => v.kvGet('app', 'counter'));
    expect(entry).toMatchObject({ version: 1, modRevision: first.revision });
    expect(sm.revision).toBe(2);
  });

  it('a retry of a rejected command gets the same rejection', async () => {
    const sm = await openFsm();
    const log = new Log();
    const cas: Op = {
      kind: 'kv.cas',
      namespace: 'app',
      key: 'k',
      expect: { kind: 'modRevision', modRevision: 5 },
      value: bytes('x'),
    };
    const first = await applyOne(sm, cmd(log, cas, 'c', 1));
    expectRejected(first, 'CasMismatch');
    // Even though the CAS would still fail, the retry is answered from the session.
    const retry = await applyOne(sm, cmd(log, cas, 'c', 1));
    expect(retry).toMatchObject({ duplicate: true, outcome: first.outcome });
  });

  it('commands without a client id are never deduplicated', async () => {
    const sm = await openFsm();
    const log = new Log();
    await sm.apply([log.cmd(put('k')), log.cmd(put('k'))]);
    expect(await kvVersion(sm, 'k')).toBe(2);
    expect(sm.status().sessions).toBe(0);
  });
});

describe('sessions: a session starts at any seq', () => {
  it('a client whose first write never reached the log goes on with seq 2', async () => {
    const sm = await openFsm();
    const log = new Log();
    // Seq 1 was proposed while there was no quorum and never committed.
    applied(await applyOne(sm, cmd(log, put('a'), 'fresh', 2, 1)));
    applied(await applyOne(sm, cmd(log, put('b'), 'fresh', 3, 3)));
    expect(await kvVersion(sm, 'a')).toBe(1);
    expect(await kvVersion(sm, 'b')).toBe(1);
  });

  it('an old client (no firstUnackedSeq) may start at any seq too', async () => {
    const sm = await openFsm();
    const log = new Log();
    applied(await applyOne(sm, cmd(log, put('a'), 'old', 4)));
    expect((await applyOne(sm, cmd(log, put('a'), 'old', 4))).duplicate).toBe(true);
  });

  it('a client whose session was evicted goes on at its next seq', async () => {
    const log = new Log();
    const sm = await openFsm(undefined, { replicatedLimits: { sessionsMax: 2 } });
    await sm.apply([cmd(log, put('b'), 'B', 1, 1), cmd(log, put('a'), 'A', 1, 1), cmd(log, put('c'), 'C', 1, 1)]);
    expect(sm.status().sessions).toBe(2);
    applied(await applyOne(sm, cmd(log, put('b'), 'B', 2, 2)));
    expect(await kvVersion(sm, 'b')).toBe(2);
  });
});

describe('sessions: several writes in flight', () => {
  it('seqs 8 then 7 are both applied exactly once; their retries return the stored results', async () => {
    const sm = await openFsm();
    const log = new Log();
    applied(await applyOne(sm, cmd(log, put('six'), 'c', 6, 6)));
    const eight = await applyOne(sm, cmd(log, put('eight'), 'c', 8, 7));
    const seven = await applyOne(sm, cmd(log, put('seven'), 'c', 7, 7));
    applied(eight);
    applied(seven);
    const retrySeven = await applyOne(sm, cmd(log, put('seven'), 'c', 7, 7));
    const retryEight = await applyOne(sm, cmd(log, put('eight'), 'c', 8, 7));
    expect(retrySeven).toMatchObject({ duplicate: true, outcome: seven.outcome, revision: seven.revision });
    expect(retryEight).toMatchObject({ duplicate: true, outcome: eight.outcome, revision: eight.revision });
    expect(await kvVersion(sm, 'seven')).toBe(1);
    expect(await kvVersion(sm, 'eight')).toBe(1);
    expect(sm.revision).toBe(3);
  });

  it('a seq below the firstUnackedSeq the client sent is StaleSequence and is not applied', async () => {
    const sm = await openFsm();
    const log = new Log();
    await sm.apply([cmd(log, put('k7'), 'c', 7, 7), cmd(log, put('k8'), 'c', 8, 7)]);
    // The client received both answers: its next write says so.
    applied(await applyOne(sm, cmd(log, put('k9'), 'c', 9, 9)));
    const stale = expectRejected(await applyOne(sm, cmd(log, put('k7'), 'c', 7, 7)), 'StaleSequence', 'seq');
    expect(stale.details).toEqual({ seq: 7, floorSeq: 9 });
    // A seq below the floor that was never applied is refused as well: refusing is safe, applying might not be.
    expectRejected(await applyOne(sm, cmd(log, put('k5'), 'c', 5, 5)), 'StaleSequence', 'seq');
    expect(await kvVersion(sm, 'k7')).toBe(1);
    expect(await kvVersion(sm, 'k5')).toBeUndefined();
  });

  it('an old client (firstUnackedSeq = seq) keeps the one-outstanding behaviour', async () => {
    const sm = await openFsm();
    const log = new Log();
    applied(await applyOne(sm, cmd(log, put('a'), 'c', 1)));
    applied(await applyOne(sm, cmd(log, put('b'), 'c', 5)));
    const stale = expectRejected(await applyOne(sm, cmd(log, put('c'), 'c', 3)), 'StaleSequence', 'seq');
    expect(stale.details).toEqual({ seq: 3, floorSeq: 5 });
    expect(await sm.read((v) => v.kvGet('app', 'c'))).toBeUndefined();
  });

  it('results below firstUnackedSeq are discarded from storage', async () => {
    const dir = await tempDir();
    const log = new Log();
    const sm = await openFsm(dir);
    await sm.apply([1, 2, 3, 4].map((seq) => cmd(log, put(`k${seq}`), 'c', seq, 1)));
    await sm.apply([cmd(log, put('k5'), 'c', 5, 4)]);
    await sm.close();
    // Seqs 4 and 5 are still unacknowledged; 1..3 were answered.
    expect(await storedResultCount(dir)).toBe(2);
  });
});

describe('sessions: bounds', () => {
  it(`keeps at most ${SESSION_RESULTS_MAX} results per client and never re-applies a dropped one`, async () => {
    const dir = await tempDir();
    const log = new Log();
    const sm = await openFsm(dir);
    // Seq 1 never arrives, so firstUnackedSeq stays 1 while seqs 2.. are applied.
    const lastSeq = SESSION_RESULTS_MAX + 2;
    const entries = Array.from({ length: lastSeq - 1 }, (_, i) => cmd(log, put(`k${i + 2}`), 'c', i + 2, 1));
    const results = await sm.apply(entries);
    expect(results.every((r) => r.outcome.status === 'applied')).toBe(true);
    // Seq 2, the lowest, was dropped: its retry is refused, never applied again.
    expectRejected(await applyOne(sm, cmd(log, put('k2'), 'c', 2, 1)), 'StaleSequence', 'seq');
    expect(await kvVersion(sm, 'k2')).toBe(1);
    // Seq 1 is below the floor too: refused although it was never applied (at most once).
    expectRejected(await applyOne(sm, cmd(log, put('k1'), 'c', 1, 1)), 'StaleSequence', 'seq');
    expect(await kvVersion(sm, 'k1')).toBeUndefined();
    // Seq 3 and the newest are still answered from the session.
    expect((await applyOne(sm, cmd(log, put('k3'), 'c', 3, 1))).duplicate).toBe(true);
    expect((await applyOne(sm, cmd(log, put(`k${lastSeq}`), 'c', lastSeq, 1))).duplicate).toBe(true);
    await sm.close();
    expect(await storedResultCount(dir)).toBe(SESSION_RESULTS_MAX);
  });

  it('a write arriving below every stored result when the bound is full is applied once, then dropped', async () => {
    const sm = await openFsm();
    const log = new Log();
    const entries = Array.from({ length: SESSION_RESULTS_MAX }, (_, i) => cmd(log, put(`k${i + 2}`), 'c', i + 2, 1));
    await sm.apply(entries);
    applied(await applyOne(sm, cmd(log, put('k1'), 'c', 1, 1)));
    expectRejected(await applyOne(sm, cmd(log, put('k1'), 'c', 1, 1)), 'StaleSequence');
    expect(await kvVersion(sm, 'k1')).toBe(1);
  });

  it('evicts the least recently used session beyond sessionsMax, the same way after a restart', async () => {
    const dir = await tempDir();
    const log = new Log();
    let sm = await openFsm(dir, { replicatedLimits: { sessionsMax: 2 } });
    await sm.apply([cmd(log, put('a'), 'A', 1, 1), cmd(log, put('b'), 'B', 1, 1), cmd(log, put('a2'), 'A', 2, 1)]);
    await sm.close();
    // A was used after B, so B is the least recently used one after a restart too.
    sm = await openFsm(dir);
    await applyOne(sm, cmd(log, put('c'), 'C', 1, 1));
    expect(sm.status().sessions).toBe(2);
    expect((await applyOne(sm, cmd(log, put('a2'), 'A', 2, 1))).duplicate).toBe(true);
    expect((await applyOne(sm, cmd(log, put('a'), 'A', 1, 1))).duplicate).toBe(true);
    await sm.close();
    // B's head and its stored result are gone; A keeps two results, C one.
    expect(await storedResultCount(dir)).toBe(3);
  });
});

describe('sessions: durability', () => {
  it('sessions with several results survive a restart', async () => {
    const dir = await tempDir();
    const log = new Log();
    let sm = await openFsm(dir);
    const eight = await applyOne(sm, cmd(log, put('eight'), 'c', 8, 7));
    await sm.close();
    sm = await openFsm(dir);
    expect((await applyOne(sm, cmd(log, put('eight'), 'c', 8, 7))).revision).toBe(eight.revision);
    applied(await applyOne(sm, cmd(log, put('seven'), 'c', 7, 7)));
    await sm.close();
    sm = await openFsm(dir);
    expect((await applyOne(sm, cmd(log, put('seven'), 'c', 7, 7))).duplicate).toBe(true);
    applied(await applyOne(sm, cmd(log, put('nine'), 'c', 9, 9)));
    expectRejected(await applyOne(sm, cmd(log, put('eight'), 'c', 8, 7)), 'StaleSequence');
    expect(await kvVersion(sm, 'eight')).toBe(1);
  });

  it('a snapshot carries sessions: duplicates, gaps and the floor behave the same after restore', async () => {
    const log = new Log();
    const source = await openFsm();
    const eight = await applyOne(source, cmd(log, put('eight'), 'c', 8, 7));
    applied(await applyOne(source, cmd(log, put('x'), 'other', 3, 3)));
    const chunks = await snapshotOf(source);
    const target = await openFsm();
    await target.restoreSnapshot(replay(chunks));
    expect(target.status().sessions).toBe(2);
    // Both replicas apply the same three entries and must answer alike.
    const entries = [
      cmd(log, put('eight'), 'c', 8, 7),
      cmd(log, put('seven'), 'c', 7, 7),
      cmd(log, put('x'), 'other', 2, 2),
    ];
    const fromSource = await source.apply(entries);
    expect(await target.apply(entries)).toEqual(fromSource);
    const [retry, seven, stale] = fromSource;
    expect(retry).toMatchObject({ duplicate: true, revision: eight.revision });
    applied(seven!);
    expectRejected(stale!, 'StaleSequence');
    expect(await kvVersion(target, 'eight')).toBe(1);
    expect(await kvVersion(target, 'seven')).toBe(1);
  });
});

describe('sessions: stored by an older version', () => {
  it('a head holding only the last seq and its result is converted when loaded', async () => {
    const dir = await tempDir();
    const log = new Log();
    let sm = await openFsm(dir);
    const first = await applyOne(sm, cmd(log, put('k'), 'old', 3));
    await sm.close();
    // Replace the head with the layout older versions wrote: {seq, index, revision, outcome}, no o/ record.
    const db = new ClassicLevel<string, Buffer>(join(dir, 'db'), { keyEncoding: 'utf8', valueEncoding: 'buffer' });
    const legacy = { seq: 3, index: 1, revision: first.revision, outcome: first.outcome };
    await db.batch([
      { type: 'put', key: 's/old', value: encodeRecord(legacy) },
      { type: 'del', key: 'o/old\x00' + '3'.padStart(14, '0') },
    ]);
    await db.close();
    expect(await storedResultCount(dir)).toBe(0);
    sm = await openFsm(dir);
    expect(await applyOne(sm, cmd(log, put('k'), 'old', 3))).toMatchObject({ duplicate: true, outcome: first.outcome });
    expectRejected(await applyOne(sm, cmd(log, put('k'), 'old', 2)), 'StaleSequence');
    applied(await applyOne(sm, cmd(log, put('k'), 'old', 4)));
    expect(await kvVersion(sm, 'k')).toBe(2);
  });
});

describe('sessions: envelope', () => {
  it('refuses a firstUnackedSeq above seq or without a client id', () => {
    expect(() => encodeCommand({ v: 1, clientId: 'c', seq: 3, firstUnackedSeq: 4, op: put('k') })).toThrow(
      /firstUnackedSeq/,
    );
    expect(() => encodeCommand({ v: 1, clientId: 'c', seq: 3, firstUnackedSeq: 0, op: put('k') })).toThrow(
      /firstUnackedSeq/,
    );
    expect(() => encodeCommand({ v: 1, clientId: '', seq: 0, firstUnackedSeq: 1, op: put('k') })).toThrow(
      /firstUnackedSeq/,
    );
  });
});
