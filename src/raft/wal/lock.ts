/**
 * The LOCK file: one process at a time may open a WAL directory.
 *
 * Taking the lock: write our PID to a temp file and link() it to LOCK; link
 * fails if LOCK exists, so LOCK never exists without a PID in it. If LOCK is
 * there, the holder's PID is read: a live process (or another Wal in this
 * process) means refusal with WalLockedError; a dead PID, or our own PID with
 * no Wal of ours holding it (a restarted container reuses low PIDs), is a
 * stale lock from a crash and is replaced.
 *
 * Limits, by design of a PID file: a stale lock whose PID was reused by an
 * unrelated live process is refused (remove LOCK by hand), and two processes
 * in different PID namespaces sharing the directory cannot see each other.
 */
import { link, readFile, realpath, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { WalLockedError } from './errors.js';

const LOCK_NAME = 'LOCK';
const ACQUIRE_ATTEMPTS_MAX = 3;
/** Directories (real paths) locked by Wals in this process. */
const heldInThisProcess = new Set<string>();

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readHolder(path: string): Promise<number | null> {
  try {
    const pid = Number.parseInt((await readFile(path, 'utf8')).trim(), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

async function tryLink(dir: string, path: string): Promise<boolean> {
  const temp = join(dir, `${LOCK_NAME}.${process.pid}.new`);
  await writeFile(temp, `${process.pid}\n`);
  try {
    await link(temp, path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    await unlink(temp);
  }
}

export class WalLock {
  private constructor(
    private readonly key: string,
    private readonly path: string,
  ) {}

  static async acquire(dir: string): Promise<WalLock> {
    const key = await realpath(dir);
    if (heldInThisProcess.has(key)) throw new WalLockedError(dir, process.pid, 'already open in this process');
    const path = join(dir, LOCK_NAME);
    for (let attempt = 0; attempt < ACQUIRE_ATTEMPTS_MAX; attempt++) {
      if (await tryLink(dir, path)) {
        heldInThisProcess.add(key);
        return new WalLock(key, path);
      }
      const holder = await readHolder(path);
      if (holder !== null && holder !== process.pid && isAlive(holder)) {
        throw new WalLockedError(dir, holder, 'that process is running');
      }
      await unlink(path).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
    }
    throw new WalLockedError(dir, await readHolder(path), 'the lock kept changing hands while we tried to take it');
  }

  /** Removes LOCK if it is still ours. */
  async release(): Promise<void> {
    heldInThisProcess.delete(this.key);
    if ((await readHolder(this.path)) === process.pid) await unlink(this.path);
  }
}
