/**
 * Goal: exactly-once commands (Raft dissertation §6.3). A retried
 * (clientId, seq) returns the first outcome without applying again — also
 * across a restart — an older seq is StaleSequence, an unknown session not
 * starting at seq 1 is SessionExpired, and sessions are bounded by a
 * deterministic LRU.
 * Method: apply the same command in two log entries (a retry after a leader
 * change looks exactly like that) and compare results and state.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Op } from '../../src/fsm/commands.js';
import { applied, applyOne, bytes, cleanupDirs, closeAll, expectRejected, Log, openFsm, tempDir } from './helpers.js';

afterEach(async () => {
  await closeAll();
  await cleanupDirs();
});

const put = (key: string, value = 'v'): Op => ({ kind: 'kv.put', namespace: 'app', key, value: bytes(value) });

describe('sessions', () => {
  it('a retried command returns the stored result and is not applied twice', async () => {
    const sm = await openFsm();
    const log = new Log();
    const first = await applyOne(sm, log.cmd(put('counter', '1'), 'client-a', 1));
    await applyOne(sm, log.cmd(put('other'), 'client-b', 1));
    const retry = await applyOne(sm, log.cmd(put('counter', '1'), 'client-a', 1));
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
    const first = await applyOne(sm, log.cmd(cas, 'c', 1));
    expectRejected(first, 'CasMismatch');
    // Even though the CAS would still fail, the retry is answered from the session.
    const retry = await applyOne(sm, log.cmd(cas, 'c', 1));
    expect(retry).toMatchObject({ duplicate: true, outcome: first.outcome });
  });

  it('the session survives a restart', async () => {
    const dir = await tempDir();
    const log = new Log();
    const sm = await openFsm(dir);
    const first = await applyOne(sm, log.cmd(put('k', '1'), 'c', 1));
    await sm.close();
    const reopened = await openFsm(dir);
    const retry = await applyOne(reopened, log.cmd(put('k', '1'), 'c', 1));
    expect(retry).toMatchObject({ duplicate: true, outcome: first.outcome, revision: first.revision });
    expect((await reopened.read((v) => v.kvGet('app', 'k')))!.version).toBe(1);
  });

  it('an older seq is StaleSequence; seq may skip forward', async () => {
    const sm = await openFsm();
    const log = new Log();
    applied(await applyOne(sm, log.cmd(put('a'), 'c', 1)));
    applied(await applyOne(sm, log.cmd(put('b'), 'c', 5)));
    const stale = expectRejected(await applyOne(sm, log.cmd(put('c'), 'c', 3)), 'StaleSequence', 'seq');
    expect(stale.details).toEqual({ seq: 3, lastSeq: 5 });
    expect(await sm.read((v) => v.kvGet('app', 'c'))).toBeUndefined();
  });

  it('a new client must start at seq 1 (otherwise SessionExpired)', async () => {
    const sm = await openFsm();
    const log = new Log();
    expectRejected(await applyOne(sm, log.cmd(put('a'), 'fresh', 2)), 'SessionExpired', 'clientId');
    applied(await applyOne(sm, log.cmd(put('a'), 'fresh', 1)));
  });

  it('evicts the least recently used session beyond sessionsMax, the same way after a restart', async () => {
    const dir = await tempDir();
    const log = new Log();
    let sm = await openFsm(dir, { replicatedLimits: { sessionsMax: 2 } });
    await sm.apply([log.cmd(put('a'), 'A', 1), log.cmd(put('b'), 'B', 1), log.cmd(put('a2'), 'A', 2)]);
    await sm.close();
    // A was used after B, so B is the least recently used one after a restart too.
    sm = await openFsm(dir);
    await applyOne(sm, log.cmd(put('c'), 'C', 1));
    expect(sm.status().sessions).toBe(2);
    // B's next command learns its session is gone instead of running without one.
    expectRejected(await applyOne(sm, log.cmd(put('b2'), 'B', 2)), 'SessionExpired');
    expect((await applyOne(sm, log.cmd(put('a2'), 'A', 2))).duplicate).toBe(true);
  });

  it('commands without a client id are never deduplicated', async () => {
    const sm = await openFsm();
    const log = new Log();
    await sm.apply([log.cmd(put('k')), log.cmd(put('k'))]);
    expect((await sm.read((v) => v.kvGet('app', 'k')))!.version).toBe(2);
    expect(sm.status().sessions).toBe(0);
  });
});
