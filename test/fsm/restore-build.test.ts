/**
 * Goal: a snapshot can be built chunk by chunk while the live state machine
 * keeps applying, and only an install swaps it in: a newer build supersedes
 * an older one (whose writes then fail and which can no longer be installed),
 * a build the live state caught up with is refused and dropped, and closing
 * the state machine removes a build it still holds. The live state is never
 * touched by any of that.
 * Method: a source state machine streams its snapshot in small chunks; a
 * target feeds them to beginRestore()'s build step by step, applying its own
 * entries in between, and checks content and the restore directory.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SnapshotAbortedError, SnapshotOutdatedError } from '../../src/fsm/errors.js';
import type { SnapshotChunk } from '../../src/fsm/snapshot-format.js';
import { bytes, cleanupDirs, closeAll, Log, openFsm, tempDir } from './helpers.js';

afterEach(async () => {
  await closeAll();
  await cleanupDirs();
});

const text = (value: Uint8Array | undefined) => (value === undefined ? undefined : new TextDecoder().decode(value));

/** The chunks of a state machine that applied `count` puts of source-<i>. */
async function sourceChunks(count: number): Promise<SnapshotChunk[]> {
  const log = new Log();
  const sm = await openFsm(await tempDir(), { snapshotChunkBytes: 1024 });
  await sm.apply(Array.from({ length: count }, (_, i) => log.cmd({ kind: 'kv.put', namespace: 'src', key: `k${i}`, value: bytes(`source-${i}`) })));
  const chunks: SnapshotChunk[] = [];
  for await (const chunk of await sm.createSnapshot()) chunks.push(chunk);
  await sm.close();
  return chunks;
}

describe('restore builds', () => {
  it('build while the live state machine applies; the install swaps in exactly the snapshot', async () => {
    const chunks = await sourceChunks(60);
    expect(chunks.length).toBeGreaterThan(3);
    const dir = await tempDir();
    const target = await openFsm(dir);
    const live = new Log();
    const build = await target.beginRestore();
    for (const [i, chunk] of chunks.entries()) {
      await build.add(chunk);
      await target.apply([live.cmd({ kind: 'kv.put', namespace: 'live', key: `x${i}`, value: bytes(`live-${i}`) })]);
    }
    expect(build.header).toBeNull();
    const header = await build.finish();
    expect(header.index).toBe(60);
    expect(text((await target.read((v) => v.kvGet('live', 'x0')))?.value)).toBe('live-0'); // still the live state
    expect(target.appliedIndex).toBe(chunks.length);

    await expect(target.installRestore(build)).resolves.toMatchObject({ index: 60 });
    expect(target.appliedIndex).toBe(60);
    expect(text((await target.read((v) => v.kvGet('src', 'k59')))?.value)).toBe('source-59');
    expect(await target.read((v) => v.kvGet('live', 'x0'))).toBeUndefined();
    expect(existsSync(join(dir, 'db.restore'))).toBe(false);
  });

  it('a newer build supersedes an older one, whose next write fails and which cannot be installed', async () => {
    const chunks = await sourceChunks(40);
    const target = await openFsm(await tempDir());
    const older = await target.beginRestore();
    await older.add(chunks[0]!);
    const newer = await target.beginRestore();
    await expect(older.add(chunks[1]!)).rejects.toBeInstanceOf(SnapshotAbortedError);
    await expect(target.installRestore(older)).rejects.toBeInstanceOf(SnapshotAbortedError);
    for (const chunk of chunks) await newer.add(chunk);
    await newer.finish();
    await expect(target.installRestore(newer)).resolves.toMatchObject({ index: 40 });
    expect(text((await target.read((v) => v.kvGet('src', 'k39')))?.value)).toBe('source-39');
  });

  it('refuses and drops a finished build once the live state applied up to it; nothing changes', async () => {
    const chunks = await sourceChunks(20);
    const dir = await tempDir();
    const target = await openFsm(dir);
    const build = await target.beginRestore();
    for (const chunk of chunks) await build.add(chunk);
    await build.finish();
    const live = new Log();
    await target.apply(Array.from({ length: 20 }, (_, i) => live.cmd({ kind: 'kv.put', namespace: 'live', key: `x${i}`, value: bytes('v') })));
    const refusal = await target.installRestore(build).catch((err: unknown) => err);
    expect(refusal).toBeInstanceOf(SnapshotOutdatedError);
    expect(refusal).toMatchObject({ snapshotIndex: 20, appliedIndex: 20 });
    expect(existsSync(join(dir, 'db.restore'))).toBe(false);
    expect(await target.read((v) => v.kvGet('src', 'k0'))).toBeUndefined();
    expect(await target.read((v) => v.kvGet('live', 'x19'))).toBeDefined();
  });

  it('close() removes a build still held', async () => {
    const chunks = await sourceChunks(10);
    const dir = await tempDir();
    const target = await openFsm(dir);
    const build = await target.beginRestore();
    await build.add(chunks[0]!);
    expect(existsSync(join(dir, 'db.restore'))).toBe(true);
    await target.close();
    expect(existsSync(join(dir, 'db.restore'))).toBe(false);
    await expect(build.add(chunks[1]!)).rejects.toBeInstanceOf(SnapshotAbortedError);
  });
});
