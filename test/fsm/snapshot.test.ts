/**
 * Goal: a snapshot streamed in checksummed chunks restores to exactly the same
 * database (every key and value), is point-in-time consistent, is verified
 * before anything is swapped in, and a crash at any step of the swap leaves
 * either the old or the new state, never a mix.
 * Method: build a rich state, stream it with a small chunk size, restore into
 * other directories and compare full dumps; corrupt, truncate and reorder
 * chunks; inject a crash before each file-system step of the swap and reopen.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ConfChangeType, nodeId, type Entry } from '../../src/raft/core/types.js';
import {
  SnapshotCorruptError,
  SnapshotOutdatedError,
  StateMachineFailedError,
  WatchCancelledError,
} from '../../src/fsm/errors.js';
import { KV_VALUE_BYTES_MAX } from '../../src/fsm/limits.js';
import type { SnapshotChunk } from '../../src/fsm/snapshot-format.js';
import { StateMachine } from '../../src/fsm/state-machine.js';
import { nodeFileOps, type FileOps } from '../../src/fsm/swap.js';
import { bytes, cleanupDirs, closeAll, dumpDir, Log, modelSpec, nodeReg, openFsm, ref, tempDir } from './helpers.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

afterEach(async () => {
  await closeAll();
  await cleanupDirs();
});

const CHUNK_BYTES = 4096;

/** A log touching every kind of record, including a 1 MiB value. */
function richLog(log: Log, count: number): Entry[] {
  const entries: Entry[] = [
    log.conf({ type: ConfChangeType.AddVoter, nodeId: nodeId('r1'), context: bytes('{"address":"127.0.0.1:7001"}') }),
    log.conf({ type: ConfChangeType.AddLearner, nodeId: nodeId('r2'), context: bytes('{"address":"127.0.0.1:7002"}') }),
    log.cmd({ kind: 'node.register', node: nodeReg('n1'), timeMs: 1 }),
    log.cmd({ kind: 'model.create', model: modelSpec('m') }),
    log.cmd({
      kind: 'placement.apply',
      term: 1,
      basedOnRevision: 4,
      timeMs: 2,
      assign: [{ model: ref('m'), nodeId: 'n1' }],
      unassign: [],
    }),
    log.cmd({ kind: 'kv.put', namespace: 'big', key: 'blob', value: new Uint8Array(KV_VALUE_BYTES_MAX).fill(7) }),
  ];
  const seqs = [0, 0, 0];
  for (let i = entries.length; i < count; i++) {
    const client = i % 3;
    seqs[client] += 1;
    entries.push(
      log.cmd(
        { kind: 'kv.put', namespace: 'app', key: `k${i % 13}`, value: bytes(`value ${i}`) },
        `client${client}`,
        seqs[client]!,
      ),
    );
  }
  return entries;
}

async function collectChunks(sm: StateMachine): Promise<{ chunks: SnapshotChunk[]; index: number }> {
  const source = await sm.createSnapshot();
  const chunks: SnapshotChunk[] = [];
  for await (const chunk of source) chunks.push(chunk);
  return { chunks, index: source.index };
}

async function* stream(chunks: readonly SnapshotChunk[]): AsyncGenerator<SnapshotChunk> {
  for (const chunk of chunks) yield chunk;
}

/** A source state machine at `count` entries, its chunks, and its dump. */
async function sourceSnapshot(count: number) {
  const dir = await tempDir();
  const log = new Log();
  const entries = richLog(log, count);
  const sm = await openFsm(dir, { snapshotChunkBytes: CHUNK_BYTES });
  await sm.apply(entries);
  const { chunks, index } = await collectChunks(sm);
  await sm.close();
  return { chunks, index, dump: await dumpDir(dir), entries, log };
}

describe('snapshots', () => {
  it('restore into a fresh state machine yields identical content, and both continue identically', async () => {
    const { chunks, index, dump, log } = await sourceSnapshot(40);
    expect(chunks.length).toBeGreaterThan(2);
    expect(index).toBe(40);
    const dir = await tempDir();
    const target = await openFsm(dir);
    const restored = await target.restoreSnapshot(stream(chunks));
    // 2 members, node, model, placement, blob, and 34 puts: one revision each.
    expect(restored).toEqual({ index: 40, term: 1, revision: 40 });
    expect(target.appliedIndex).toBe(40);
    const members = await target.read((v) => v.listMembers());
    expect(members).toEqual([
      { id: 'r1', address: '127.0.0.1:7001', role: 'voter' },
      { id: 'r2', address: '127.0.0.1:7002', role: 'learner' },
    ]);
    expect((await target.read((v) => v.kvGet('big', 'blob')))!.value.byteLength).toBe(KV_VALUE_BYTES_MAX);
    // Sessions came along: a retry of a command from the log is still deduplicated.
    // Entry 40 (i = 39) was client0's 12th command.
    const retry = await target.apply([
      log.cmd({ kind: 'kv.put', namespace: 'app', key: 'k0', value: bytes('value 39') }, 'client0', 12),
    ]);
    expect(target.status().sessions).toBe(3);
    expect(retry[0]).toMatchObject({ duplicate: true });
    await target.close();
    const restoredDump = await dumpDir(dir);
    const withoutMeta = (d: [string, string][]) => d.filter(([k]) => k !== Buffer.from('_meta').toString('hex'));
    // Only the applied index (the retry entry) differs.
    expect(withoutMeta(restoredDump)).toEqual(withoutMeta(dump));
  });

  it('restored content equals the source byte for byte (full iteration)', async () => {
    const { chunks, dump } = await sourceSnapshot(25);
    const dir = await tempDir();
    const target = await openFsm(dir);
    await target.restoreSnapshot(stream(chunks));
    await target.close();
    expect(await dumpDir(dir)).toEqual(dump);
  });

  it('is a point-in-time view: writes after createSnapshot are not in it', async () => {
    const dir = await tempDir();
    const log = new Log();
    const entries = richLog(log, 30);
    const sm = await openFsm(dir, { snapshotChunkBytes: CHUNK_BYTES });
    await sm.apply(entries.slice(0, 20));
    const source = await sm.createSnapshot();
    await sm.apply(entries.slice(20));
    const chunks: SnapshotChunk[] = [];
    for await (const chunk of source) chunks.push(chunk);
    expect(source.index).toBe(20);
    expect(source.confState).toEqual({ voters: ['r1'], learners: ['r2'] });

    const reference = await tempDir();
    const refSm = await openFsm(reference);
    await refSm.apply(entries.slice(0, 20));
    await refSm.close();
    const targetDir = await tempDir();
    const target = await openFsm(targetDir);
    await target.restoreSnapshot(stream(chunks));
    await target.close();
    expect(await dumpDir(targetDir)).toEqual(await dumpDir(reference));
  });

  it('rejects corrupt, truncated, reordered and outdated streams, leaving the state untouched', async () => {
    const { chunks } = await sourceSnapshot(30);
    const dir = await tempDir();
    const log = new Log();
    const target = await openFsm(dir);
    await target.apply([log.cmd({ kind: 'kv.put', namespace: 'app', key: 'mine', value: bytes('1') })]);
    const flipped = chunks.map((c, i) =>
      i === 1 ? { data: Uint8Array.from(c.data, (b, j) => (j === 10 ? b ^ 1 : b)), crc32c: c.crc32c } : c,
    );
    const badCrc = chunks.map((c, i) => (i === 2 ? { ...c, crc32c: (c.crc32c + 1) >>> 0 } : c));
    const truncated = chunks.slice(0, -1);
    const reordered = [chunks[0]!, chunks[2]!, chunks[1]!, ...chunks.slice(3)];
    const duplicated = [...chunks, chunks[chunks.length - 1]!];
    for (const bad of [flipped, badCrc, truncated, reordered, duplicated]) {
      await expect(target.restoreSnapshot(stream(bad))).rejects.toBeInstanceOf(SnapshotCorruptError);
      expect(existsSync(join(dir, 'db.restore'))).toBe(false);
    }
    expect((await target.read((v) => v.kvGet('app', 'mine')))?.version).toBe(1);
    expect(target.appliedIndex).toBe(1);
    // The state machine is still usable after refused snapshots.
    await target.apply([log.cmd({ kind: 'kv.put', namespace: 'app', key: 'mine', value: bytes('2') })]);

    const ahead = await openFsm(await tempDir());
    await ahead.apply(richLog(new Log(), 35));
    await expect(ahead.restoreSnapshot(stream(chunks))).rejects.toBeInstanceOf(SnapshotOutdatedError);
  });

  it('replaces a lagging state and cancels its watchers with reason restored', async () => {
    const { chunks, dump } = await sourceSnapshot(30);
    const dir = await tempDir();
    const target = await openFsm(dir);
    await target.apply(richLog(new Log(), 10));
    const watcher = target.watch();
    const pending = watcher.next().then(
      () => null,
      (err: unknown) => err,
    );
    await target.restoreSnapshot(stream(chunks));
    expect(await pending).toBeInstanceOf(WatchCancelledError);
    expect(await pending).toMatchObject({ reason: 'restored' });
    expect(target.appliedIndex).toBe(30);
    await target.close();
    expect(await dumpDir(dir)).toEqual(dump);
  });

  it('aborts an unfinished snapshot stream cleanly and bounds open streams', async () => {
    const dir = await tempDir();
    const sm = await openFsm(dir, { snapshotChunkBytes: CHUNK_BYTES, snapshotStreamsMax: 1 });
    await sm.apply(richLog(new Log(), 20));
    const source = await sm.createSnapshot();
    await expect(sm.createSnapshot()).rejects.toMatchObject({ name: 'TooManyReadersError', what: 'snapshots' });
    for await (const chunk of source) {
      expect(chunk.data.byteLength).toBeGreaterThan(0);
      break; // the consumer stops early: the snapshot is released
    }
    const again = await sm.createSnapshot();
    await again.close();
  });
});

/**
 * FileOps that "crash" (throw) instead of performing mutating step number
 * `crashAt`, counting steps only once armed (after open's own recovery).
 */
function crashingOps(crashAt: number): { ops: FileOps; arm: () => void; steps: () => number } {
  let step = 0;
  let armed = false;
  const guard = async <T>(run: () => Promise<T>): Promise<T> => {
    if (armed && step++ === crashAt) throw new Error(`simulated crash before step ${crashAt}`);
    return run();
  };
  return {
    arm: () => (armed = true),
    steps: () => step,
    ops: {
      exists: (path) => nodeFileOps.exists(path),
      rename: (from, to) => guard(() => nodeFileOps.rename(from, to)),
      removeTree: (path) => guard(() => nodeFileOps.removeTree(path)),
      writeFileDurably: (path, data) => guard(() => nodeFileOps.writeFileDurably(path, data)),
      removeFile: (path) => guard(() => nodeFileOps.removeFile(path)),
      syncDir: (path) => guard(() => nodeFileOps.syncDir(path)),
    },
  };
}

describe('restore crash safety', () => {
  it('a crash before any step of the swap recovers to the old or the new state, never a mix', async () => {
    const { chunks, dump: newDump } = await sourceSnapshot(30);
    const oldLog = new Log();
    const oldEntries = richLog(oldLog, 8);
    const markerStep = 1; // step 0 clears db.old, step 1 writes the marker
    let stepsInSwap = 0;
    for (let crashAt = 0; crashAt < 20; crashAt++) {
      const dir = await tempDir();
      const old = await StateMachine.open(dir);
      await old.apply(oldEntries);
      await old.close();
      const oldDump = await dumpDir(dir);

      const { ops, arm, steps } = crashingOps(crashAt);
      const victim = await StateMachine.open(dir, { fileOps: ops });
      arm();
      const outcome = await victim.restoreSnapshot(stream(chunks)).then(
        () => 'completed',
        (err: unknown) => err,
      );
      await victim.close();
      if (outcome === 'completed') {
        stepsInSwap = steps();
        break;
      }
      expect(outcome).toBeInstanceOf(StateMachineFailedError);

      const reopened = await StateMachine.open(dir); // recovery runs here
      const appliedIndex = reopened.appliedIndex;
      await reopened.close();
      const recovered = await dumpDir(dir);
      if (crashAt <= markerStep) {
        expect(recovered).toEqual(oldDump);
        expect(appliedIndex).toBe(8);
      } else {
        expect(recovered).toEqual(newDump);
        expect(appliedIndex).toBe(30);
      }
      expect(existsSync(join(dir, 'db.restore'))).toBe(false);
      expect(existsSync(join(dir, 'db.old'))).toBe(false);
      expect(existsSync(join(dir, 'SWAP'))).toBe(false);
    }
    expect(stepsInSwap).toBeGreaterThan(5);
  });

  it('a crash while building leaves the old state (the partial build is discarded)', async () => {
    const { chunks } = await sourceSnapshot(30);
    const dir = await tempDir();
    const sm = await StateMachine.open(dir);
    await sm.apply(richLog(new Log(), 7));
    async function* dying(): AsyncGenerator<SnapshotChunk> {
      yield chunks[0]!;
      yield chunks[1]!;
      throw new Error('connection lost');
    }
    await expect(sm.restoreSnapshot(dying())).rejects.toThrow('connection lost');
    expect(sm.appliedIndex).toBe(7);
    await sm.close();
    const reopened = await openFsm(dir);
    expect(reopened.appliedIndex).toBe(7);
  });
});
