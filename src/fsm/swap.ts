/**
 * Atomic replacement of the state database by a restored one, and recovery
 * from a crash at any point of it.
 *
 * Directory layout under the state machine's dir:
 *   db/            the live database
 *   db.restore/    a snapshot being built, or built and verified
 *   db.old/        the previous live database during a swap
 *   SWAP           marker: db.restore/ is complete; the swap must finish
 *
 * The swap: remove stale db.old/; write SWAP durably; rename db/ → db.old/;
 * rename db.restore/ → db/; fsync dir; remove SWAP; fsync dir; remove db.old/.
 *
 * Recovery (at open): with SWAP present, finish the swap from wherever it
 * stopped (each rename is atomic, and whether it happened is visible from
 * which directories exist); without SWAP, the old db/ is intact and any
 * db.restore/ is an unfinished build, discarded. So after a crash the state is
 * the old database or the new one, never a mix.
 */
import { open, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { assert } from '../raft/core/errors.js';

/** File-system operations used by the swap, replaceable to inject crashes in tests. */
export interface FileOps {
  exists(path: string): Promise<boolean>;
  rename(from: string, to: string): Promise<void>;
  removeTree(path: string): Promise<void>;
  /** Writes a small file so that it survives a power loss once this resolves. */
  writeFileDurably(path: string, data: string): Promise<void>;
  removeFile(path: string): Promise<void>;
  /** fsyncs a directory so renames and removals in it are durable. */
  syncDir(path: string): Promise<void>;
}

export const nodeFileOps: FileOps = {
  async exists(path) {
    try {
      await stat(path);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
  },
  rename: (from, to) => rename(from, to),
  removeTree: (path) => rm(path, { recursive: true, force: true }),
  async writeFileDurably(path, data) {
    const temporary = `${path}.tmp`;
    await writeFile(temporary, data);
    const handle = await open(temporary, 'r+');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  },
  removeFile: (path) => rm(path, { force: true }),
  async syncDir(path) {
    const handle = await open(path, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
};

export interface StatePaths {
  readonly dir: string;
  readonly db: string;
  readonly restore: string;
  readonly old: string;
  readonly marker: string;
}

export function statePaths(dir: string): StatePaths {
  return {
    dir,
    db: join(dir, 'db'),
    restore: join(dir, 'db.restore'),
    old: join(dir, 'db.old'),
    marker: join(dir, 'SWAP'),
  };
}

/** Swaps a complete db.restore/ in. Both databases must be closed. */
export async function swapIn(paths: StatePaths, ops: FileOps): Promise<void> {
  assert(await ops.exists(paths.restore), 'a swap starts from a complete db.restore');
  await ops.removeTree(paths.old);
  await ops.writeFileDurably(paths.marker, 'swap db.restore into db\n');
  await ops.syncDir(paths.dir);
  await finishSwap(paths, ops);
}

async function finishSwap(paths: StatePaths, ops: FileOps): Promise<void> {
  if (await ops.exists(paths.restore)) {
    if (await ops.exists(paths.db)) {
      assert(!(await ops.exists(paths.old)), 'db.old is cleared before the marker is written');
      await ops.rename(paths.db, paths.old);
    }
    await ops.rename(paths.restore, paths.db);
    await ops.syncDir(paths.dir);
  }
  assert(await ops.exists(paths.db), 'after a swap, db exists');
  await ops.removeFile(paths.marker);
  await ops.syncDir(paths.dir);
  await ops.removeTree(paths.old);
}

/** Brings the directory to a clean state after a crash (see the file comment). */
export async function recoverSwap(paths: StatePaths, ops: FileOps): Promise<void> {
  if (await ops.exists(paths.marker)) {
    await finishSwap(paths, ops);
    return;
  }
  await ops.removeTree(paths.restore);
  await ops.removeTree(paths.old);
}
