// Goal: a replica that refuses a caller it does not count as a peer says what
// its configuration says about that caller (applied index, membership, the
// removal it applied) in the refusal's trailers, and the caller's transport
// hands that statement to its driver — or hands a refusal without statement
// when the refuser cannot vouch for its configuration; malformed or partial
// trailers never pass for a statement. Method: the trailer codec on crafted
// metadata, then two transports on 127.0.0.1 where only the caller knows the
// other as a peer.
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { nodeId, type NodeId } from '../../../src/raft/core/types.js';
import {
  APPLIED_INDEX_TRAILER,
  MEMBERSHIP_TRAILER,
  PeerTransport,
  readStatement,
  REMOVED_AT_TRAILER,
  statementTrailers,
  type MembershipOracle,
  type PeerRefusal,
} from '../../../src/raft/transport/index.js';
import { MemorySink, Recorder, silentLogger, waitFor } from './helpers.js';

function trailers(values: Record<string, string>): grpc.Metadata {
  const metadata = new grpc.Metadata();
  for (const [key, value] of Object.entries(values)) metadata.set(key, value);
  return metadata;
}

describe('refusal trailers', () => {
  it('round-trip a statement', () => {
    const statement = { appliedIndex: 1234, membership: 'none' as const, removedAtIndex: 1200 };
    expect(readStatement(statementTrailers(statement))).toEqual(statement);
    expect(readStatement(statementTrailers({ appliedIndex: 7, membership: 'learner', removedAtIndex: 0 }))).toMatchObject({ membership: 'learner' });
  });

  it('read missing, partial or malformed trailers as no statement', () => {
    const good = { [APPLIED_INDEX_TRAILER]: '10', [MEMBERSHIP_TRAILER]: 'none', [REMOVED_AT_TRAILER]: '9' };
    expect(readStatement(undefined)).toBeNull();
    expect(readStatement(new grpc.Metadata())).toBeNull();
    const broken: Record<string, string>[] = [
      { [APPLIED_INDEX_TRAILER]: '10', [MEMBERSHIP_TRAILER]: 'none' },
      { ...good, [APPLIED_INDEX_TRAILER]: '-1' },
      { ...good, [APPLIED_INDEX_TRAILER]: '1e3' },
      { ...good, [APPLIED_INDEX_TRAILER]: '0010' },
      { ...good, [APPLIED_INDEX_TRAILER]: '99999999999999999' },
      { ...good, [MEMBERSHIP_TRAILER]: 'observer' },
      { ...good, [REMOVED_AT_TRAILER]: '11' }, // a removal after the applied index cannot have been applied
    ];
    for (const values of broken) expect(readStatement(trailers(values)), JSON.stringify(values)).toBeNull();
    const twice = trailers(good);
    twice.add(MEMBERSHIP_TRAILER, 'voter');
    expect(readStatement(twice)).toBeNull();
  });
});

describe('refusing an unknown caller over gRPC', () => {
  const started: PeerTransport[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((t) => t.stop()));
  });

  async function transport(id: string, options: { membership?: MembershipOracle; refusals?: PeerRefusal[] } = {}): Promise<{ t: PeerTransport; address: string }> {
    const recorder = new Recorder();
    const t = new PeerTransport({
      config: { selfId: nodeId(id), peers: new Map(), reconnectBackoffInitialMs: 20, reconnectBackoffMaxMs: 50 },
      handlers: { ...recorder.handlers, onPeerRefused: (refusal) => options.refusals?.push(refusal) },
      snapshotSink: new MemorySink(),
      logger: silentLogger,
      membership: options.membership,
    });
    started.push(t);
    const port = await t.listen('127.0.0.1:0');
    return { t, address: `127.0.0.1:${port}` };
  }

  it('sends the statement of its configuration; the caller hands it on, again on every reconnect', async () => {
    const asked: NodeId[] = [];
    const refuser = await transport('n1', {
      membership: (caller) => (asked.push(caller), { appliedIndex: 42, membership: 'none', removedAtIndex: 40 }),
    });
    const refusals: PeerRefusal[] = [];
    const caller = await transport('n3', { refusals });
    await caller.t.addPeer(nodeId('n1'), refuser.address);
    refuser.t.start();
    caller.t.start();
    await waitFor('two refusals', () => refusals.length >= 2);
    expect(refusals[0]).toEqual({
      peer: 'n1',
      statement: { appliedIndex: 42, membership: 'none', removedAtIndex: 40 },
      detail: 'call from unknown peer "n3"',
    });
    expect(asked[0]).toBe('n3');
    expect(refuser.t.stats().inboundRejected['unknown-peer']).toBeGreaterThanOrEqual(2);
  });

  it('sends no statement when the refuser cannot vouch for its configuration, or has no oracle', async () => {
    for (const membership of [() => null, undefined] as (MembershipOracle | undefined)[]) {
      const refuser = await transport('n1', { membership });
      const refusals: PeerRefusal[] = [];
      const caller = await transport('n4', { refusals });
      await caller.t.addPeer(nodeId('n1'), refuser.address);
      refuser.t.start();
      caller.t.start();
      await waitFor('a refusal', () => refusals.length >= 1);
      expect(refusals[0]).toMatchObject({ peer: 'n1', statement: null });
    }
  });

  it('does not ask the oracle about, nor refuse, a caller it knows', async () => {
    const asked: NodeId[] = [];
    const a = await transport('n1', { membership: (c) => (asked.push(c), null) });
    const refusals: PeerRefusal[] = [];
    const b = await transport('n2', { refusals });
    await a.t.addPeer(nodeId('n2'), b.address);
    await b.t.addPeer(nodeId('n1'), a.address);
    a.t.start();
    b.t.start();
    await waitFor('stream up', () => b.t.stats().peers['n1']!.outboundConnected);
    expect(refusals).toEqual([]);
    expect(asked).toEqual([]);
  });
});
