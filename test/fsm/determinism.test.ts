/**
 * Goal: apply is deterministic. Replicas that apply the same log end with
 * byte-identical databases and identical results, whatever their batch
 * boundaries, restarts, or whether they caught up from a snapshot; malformed
 * entries are the same rejected no-ops everywhere and never throw.
 * Method: a seeded generator produces a log mixing every op (valid, failing,
 * retried, out of order, stale, malformed, oversized), no-ops and conf
 * changes, with small replicated limits so eviction (of sessions, and of
 * results at the per-client bound) and compaction happen. Replica A applies it in
 * generator-sized batches, B in random batches, C with a restart in the
 * middle, D from A's snapshot at the midpoint. Dumps and results must match.
 * A failing seed is printed by the test name and replays exactly.
 */
import { Packr } from 'msgpackr';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfChangeType, EntryType, nodeId, type Entry } from '../../src/raft/core/types.js';
import type { Command, ModelNodePair, Op } from '../../src/fsm/commands.js';
import type { StateMachineOptions } from '../../src/fsm/config.js';
import type { ApplyResult } from '../../src/fsm/results.js';
import type { SnapshotChunk } from '../../src/fsm/snapshot-format.js';
import type { StateMachine } from '../../src/fsm/state-machine.js';
import { cleanupDirs, closeAll, dumpDir, Log, modelSpec, nodeReg, openFsm, Rand, tempDir } from './helpers.js';

afterEach(async () => {
  await closeAll();
  await cleanupDirs();
});

const OPTIONS: StateMachineOptions = {
  replicatedLimits: {
    sessionsMax: 6,
    changeLogRevisionsMax: 40,
    changeLogBytesMax: 64 * 1024,
    kvKeysMax: 30,
    nodesMax: 4,
    modelsMax: 5,
  },
  snapshotChunkBytes: 8192,
};
const packr = new Packr({ structuredClone: false, useRecords: false });
const NODES = ['n0', 'n1', 'n2', 'n3', 'n4'];
const MODELS = [
  { name: 'm0', version: '1' },
  { name: 'm0', version: '2' },
  { name: 'm1', version: '1' },
  { name: 'm2', version: '1' },
  { name: 'm3', version: '7' },
  { name: 'm4', version: '1' },
];

interface View {
  revision: number;
  schedulingRevision: number;
  /** Assignments that exist before the batch (for state changes that can succeed). */
  assignments: readonly ModelNodePair[];
}

function randomPair(r: Rand): ModelNodePair {
  const m = r.pick(MODELS);
  return { model: { namespace: 'default', ...m }, nodeId: r.pick(NODES) };
}

function randomValue(r: Rand): Uint8Array {
  return r.int(20) === 0 ? r.bytes(20_000 + r.int(20_000)) : r.bytes(r.int(200));
}

function kvOp(r: Rand, view: View): Op {
  const namespace = r.pick(['a', 'b']);
  const key = `k${r.int(12)}`;
  switch (r.int(5)) {
    case 0:
      return { kind: 'kv.delete', namespace, key };
    case 1:
      return { kind: 'kv.deleteRange', namespace, prefix: r.pick(['', 'k1', 'k']), limit: 1 + r.int(5) };
    case 2: {
      const expect =
        r.int(2) === 0
          ? { kind: 'modRevision' as const, modRevision: r.int(view.revision + 2) }
          : { kind: 'value' as const, value: r.int(2) === 0 ? null : r.bytes(r.int(3)) };
      return { kind: 'kv.cas', namespace, key, expect, value: r.int(4) === 0 ? null : randomValue(r) };
    }
    default:
      return { kind: 'kv.put', namespace, key, value: randomValue(r) };
  }
}

function nodeOp(r: Rand): Op {
  const id = r.pick(NODES);
  const expected = r.int(4) === 0 ? { expectedModRevision: 1 + r.int(30) } : {};
  switch (r.int(10)) {
    case 0:
      return {
        kind: 'node.setStatus',
        id,
        status: {
          condition: r.pick(['Ready', 'NotReady', 'Unknown'] as const),
          reason: r.pick(['', 'x']),
          timeMs: r.int(1000),
        },
      };
    case 1:
      return { kind: 'node.setLabels', id, labels: r.int(2) === 0 ? {} : { zone: r.pick(['a', 'b']) }, ...expected };
    case 2:
      return {
        kind: 'node.setTaints',
        id,
        taints: r.int(2) === 0 ? [] : [{ key: 'k', value: 'v', effect: 'NoSchedule' }],
        ...expected,
      };
    case 3:
      return { kind: 'node.delete', id, ...expected };
    case 4:
      return {
        kind: 'node.updateCapabilities',
        id,
        capabilities: { ...nodeReg(id).capabilities, computeScore: r.int(5) },
        ...expected,
      };
    case 5:
    default:
      return { kind: 'node.register', node: nodeReg(id, { address: `10.0.0.${r.int(3)}:7000` }), timeMs: r.int(1000) };
  }
}

function modelOp(r: Rand): Op {
  const m = r.pick(MODELS);
  const ref = { namespace: 'default', ...m };
  switch (r.int(5)) {
    case 0:
      return {
        kind: 'model.update',
        model: ref,
        requirements: modelSpec(m.name).requirements,
        desiredReplicas: r.int(4),
      };
    case 1:
      return { kind: 'model.delete', model: ref };
    default:
      return { kind: 'model.create', model: modelSpec(m.name, m.version) };
  }
}

function schedulingOp(r: Rand, view: View, term: number): Op {
  if (r.int(3) === 0) {
    const { model, nodeId: node } =
      view.assignments.length > 0 && r.int(4) > 0 ? r.pick(view.assignments) : randomPair(r);
    const state = r.pick(['Pending', 'Loading', 'Ready', 'Failed'] as const);
    return {
      kind: 'assignment.setState',
      model,
      nodeId: node,
      state,
      reason: r.pick(['', 'oom']),
      timeMs: r.int(1000),
    };
  }
  const based = r.pick([
    view.schedulingRevision,
    view.schedulingRevision,
    view.revision,
    Math.max(0, view.schedulingRevision - 1 - r.int(5)),
    view.revision + 3,
  ]);
  const pairs = new Map<string, ModelNodePair>();
  for (let i = 0; i < 1 + r.int(3); i++) {
    const p = randomPair(r);
    pairs.set(`${p.nodeId}/${p.model.name}/${p.model.version}`, p);
  }
  const all = [...pairs.values()];
  const split = r.int(all.length + 1);
  return {
    kind: 'placement.apply',
    term: Math.max(1, term - r.int(2)),
    basedOnRevision: based,
    timeMs: r.int(1000),
    assign: all.slice(split),
    unassign: all.slice(0, split),
  };
}

function malformed(r: Rand, log: Log): Entry {
  switch (r.int(5)) {
    case 0:
      return log.raw(r.bytes(1 + r.int(40)));
    case 1:
      return log.raw(
        packr.pack({
          v: 2,
          clientId: '',
          seq: 0,
          op: { kind: 'kv.put', namespace: 'a', key: 'k', value: new Uint8Array(1) },
        }),
      );
    case 2:
      return log.raw(packr.pack({ v: 1, clientId: 'c0', seq: 1, op: { kind: 'kv.put', namespace: 'a' } }));
    case 3:
      return log.raw(
        packr.pack({
          v: 1,
          clientId: '',
          seq: 0,
          op: { kind: 'kv.put', namespace: 'a', key: 'k', value: new Uint8Array(1024 * 1024 + 1) },
        }),
      );
    default:
      return log.raw(r.bytes(1 + r.int(20)), EntryType.ConfChange);
  }
}

/**
 * Client sessions as the generator sees them: per client the highest seq sent
 * and the firstUnackedSeq it last claimed. `HOARDER` never acknowledges
 * anything (firstUnackedSeq stays 1) and writes most, so its session reaches
 * the per-client result bound and drops results.
 */
const HOARDER = 'c0';

class Clients {
  private readonly lastSeqs = new Map<string, number>();
  private readonly acked = new Map<string, number>();

  lastSeq(clientId: string): number {
    return this.lastSeqs.get(clientId) ?? 0;
  }

  /** A firstUnackedSeq for `seq`: absent (an old client), the hoarder's 1, or a value that moves up now and then. */
  firstUnackedSeq(r: Rand, clientId: string, seq: number): number | undefined {
    if (clientId === HOARDER) return 1;
    if (r.int(4) === 0) return undefined;
    const claimed = Math.min(seq, (this.acked.get(clientId) ?? 1) + r.int(3));
    this.acked.set(clientId, Math.max(claimed, this.acked.get(clientId) ?? 1));
    return claimed;
  }

  sent(clientId: string, seq: number): void {
    this.lastSeqs.set(clientId, Math.max(this.lastSeq(clientId), seq));
  }
}

/** Mostly the next seq; sometimes a retry, an old seq (a late write or a stray copy), or a gap. */
function nextSeq(r: Rand, last: number): number {
  switch (r.int(12)) {
    case 0:
      return Math.max(1, last);
    case 1:
      return Math.max(1, last - 1);
    case 2:
      return last + 2;
    case 3:
      return 1 + r.int(Math.max(1, Math.ceil(last / 2)));
    default:
      return last + 1;
  }
}

/**
 * Generates the next entry from the current state of the generating replica,
 * which proposes its commands (encodes them with its own encodeProposal) and so
 * applies them without decoding; the others decode the same bytes.
 */
function nextEntry(r: Rand, log: Log, view: View, clients: Clients, propose: (command: Command) => Uint8Array): Entry {
  const roll = r.int(100);
  if (roll < 4) return log.noop();
  if (roll < 9) return malformed(r, log);
  if (roll < 12) {
    const type = r.pick([
      ConfChangeType.AddVoter,
      ConfChangeType.AddLearner,
      ConfChangeType.PromoteLearner,
      ConfChangeType.RemoveNode,
    ]);
    const context =
      r.int(3) === 0
        ? undefined
        : new TextEncoder().encode(JSON.stringify({ address: `127.0.0.1:${7000 + r.int(5)}` }));
    return log.conf({ type, nodeId: nodeId(`r${r.int(4)}`), ...(context === undefined ? {} : { context }) });
  }
  if (roll < 14) log.term += 1;
  const pick = r.int(10);
  const op = pick < 4 ? kvOp(r, view) : pick < 6 ? nodeOp(r) : pick < 8 ? modelOp(r) : schedulingOp(r, view, log.term);
  if (r.int(6) === 0) return log.raw(propose({ v: 1, clientId: '', seq: 0, op }));
  const clientId = r.int(5) < 3 ? HOARDER : `c${1 + r.int(6)}`;
  const seq = nextSeq(r, clients.lastSeq(clientId));
  clients.sent(clientId, seq);
  const firstUnackedSeq = clients.firstUnackedSeq(r, clientId, seq);
  const envelope = firstUnackedSeq === undefined ? {} : { firstUnackedSeq };
  return log.raw(propose({ v: 1, clientId, seq, ...envelope, op }));
}

/** An op result kind, a rejection code, or noop/skipped. */
function outcomeKind(result: ApplyResult): string {
  const { outcome } = result;
  if (outcome.status === 'rejected') return outcome.rejection.code;
  return outcome.status === 'applied' ? outcome.result.kind : outcome.status;
}

async function* stream(chunks: readonly SnapshotChunk[]): AsyncGenerator<SnapshotChunk> {
  for (const chunk of chunks) yield chunk;
}

async function snapshotChunks(sm: StateMachine): Promise<SnapshotChunk[]> {
  const out: SnapshotChunk[] = [];
  for await (const chunk of await sm.createSnapshot()) out.push(chunk);
  return out;
}

/** Applies `entries` in random batch sizes; returns the results in order. */
async function applyInRandomBatches(sm: StateMachine, entries: readonly Entry[], r: Rand): Promise<ApplyResult[]> {
  const results: ApplyResult[] = [];
  for (let i = 0; i < entries.length;) {
    const size = 1 + r.int(40);
    results.push(...(await sm.apply(entries.slice(i, i + size))));
    i += size;
  }
  return results;
}

describe('determinism', () => {
  it.each([1, 2, 3])('replicas applying the same random log end byte-identical (seed %i)', async (seed) => {
    const r = new Rand(seed);
    const log = new Log();
    const dirs = { a: await tempDir(), b: await tempDir(), c: await tempDir(), d: await tempDir() };
    const a = await openFsm(dirs.a, OPTIONS);
    const entries: Entry[] = [];
    const resultsA: ApplyResult[] = [];
    const clients = new Clients();
    const total = 1000;
    const half = 500;
    let midChunks: SnapshotChunk[] = [];
    let proposed = 0;
    const propose = (command: Command): Uint8Array => {
      proposed++;
      return a.encodeProposal(command);
    };
    while (entries.length < total) {
      const batch: Entry[] = [];
      // Entries generated within one batch see the state before the batch, like a real proposer.
      const status = a.status();
      const assignments = (await a.read((v) => v.listAssignments({}, { limit: 1000 }))).items;
      const view = { revision: status.revision, schedulingRevision: status.schedulingRevision, assignments };
      for (let i = 0; i < 1 + r.int(8) && entries.length + batch.length < total; i++)
        batch.push(nextEntry(r, log, view, clients, propose));
      entries.push(...batch);
      resultsA.push(...(await a.apply(batch)));
      if (midChunks.length === 0 && entries.length >= half) midChunks = await snapshotChunks(a);
    }
    expect(midChunks.length).toBeGreaterThan(0);
    // A applied every command it proposed from what it validated when encoding (own-proposals.ts).
    expect(proposed).toBeGreaterThan(500);
    expect(a.ownProposalStats).toEqual({ hits: proposed, held: 0 });

    const b = await openFsm(dirs.b, OPTIONS);
    const resultsB = await applyInRandomBatches(b, entries, new Rand(seed * 31));
    expect(resultsB).toEqual(resultsA);

    let c = await openFsm(dirs.c, OPTIONS);
    const resultsC = await applyInRandomBatches(c, entries.slice(0, half), new Rand(seed * 17));
    await c.close();
    c = await openFsm(dirs.c, OPTIONS);
    resultsC.push(...(await applyInRandomBatches(c, entries.slice(half), new Rand(seed * 19))));
    expect(resultsC).toEqual(resultsA);

    const d = await openFsm(dirs.d, OPTIONS);
    const restored = await d.restoreSnapshot(stream(midChunks));
    // D replays the whole log like a WAL: everything up to the snapshot is skipped.
    const resultsD = await applyInRandomBatches(d, entries, new Rand(seed * 23));
    expect(resultsD.slice(restored.index)).toEqual(resultsA.slice(restored.index));
    expect(resultsD.slice(0, restored.index).every((x) => x.outcome.status === 'skipped')).toBe(true);

    // The stream exercised every outcome kind.
    const statuses = new Set(resultsA.map((x) => outcomeKind(x)));
    const expectedKinds = [
      'placement.apply',
      'assignment.setState',
      'kv.put',
      'kv.cas',
      'node.delete',
      'model.delete',
      'member.add',
      'noop',
      'Invalid',
      'UnsupportedVersion',
      'NotFound',
      'AlreadyExists',
      'StalePlacement',
      'CasMismatch',
      'StaleSequence',
      'RevisionMismatch',
    ];
    for (const expected of expectedKinds) {
      expect(statuses).toContain(expected);
    }
    expect(resultsA.some((x) => x.duplicate)).toBe(true);
    // The hoarder never acknowledges, so its stale seqs are results dropped at the per-client bound.
    const hoarderStale = entries.filter((entry, i) => {
      const outcome = resultsA[i]!.outcome;
      if (outcome.status !== 'rejected' || outcome.rejection.code !== 'StaleSequence') return false;
      return (packr.unpack(entry.data) as { clientId: string }).clientId === HOARDER;
    });
    expect(hoarderStale.length).toBeGreaterThan(0);
    // Seven clients wrote and six sessions remain: the least recently used were evicted.
    expect(a.status().sessions).toBe(OPTIONS.replicatedLimits!.sessionsMax);
    expect(a.status().changeLogFirstRevision).toBeGreaterThan(1);

    for (const sm of [a, b, c, d]) await sm.close();
    const dumpA = await dumpDir(dirs.a);
    expect(await dumpDir(dirs.b)).toEqual(dumpA);
    expect(await dumpDir(dirs.c)).toEqual(dumpA);
    expect(await dumpDir(dirs.d)).toEqual(dumpA);
  });
});
