/**
 * Small promise wrappers over raw file descriptors. The hot path (write,
 * fdatasync) uses the callback API directly: fewer allocations than FileHandle.
 */
import fs from 'node:fs';
import { join } from 'node:path';

/** Writes all `length` bytes of `buf` at `position`, looping over short writes. */
export async function writeAll(fd: number, buf: Uint8Array, length: number, position: number): Promise<void> {
  let done = 0;
  while (done < length) {
    const written = await new Promise<number>((resolve, reject) => {
      fs.write(fd, buf, done, length - done, position + done, (err, bytes) => (err ? reject(err) : resolve(bytes)));
    });
    if (written === 0) throw new Error(`write made no progress at position ${position + done}`);
    done += written;
  }
}

/**
 * Writes up to this size go straight from the calling thread (a write into the
 * page cache takes microseconds); larger ones go through the thread pool. Handing
 * a small write to the pool costs more than the write: on this project's 2-core
 * VM each submission and completion wakeup cost ~50 µs of main-thread time and
 * two context switches (perf stat on a follower at 1 write in flight).
 */
export const INLINE_WRITE_BYTES_MAX = 256 * 1024;

/** writeAll, done on the calling thread when `length` is at most INLINE_WRITE_BYTES_MAX. */
export async function writeAllInline(fd: number, buf: Uint8Array, length: number, position: number): Promise<void> {
  if (length > INLINE_WRITE_BYTES_MAX) return writeAll(fd, buf, length, position);
  let done = 0;
  while (done < length) {
    const written = fs.writeSync(fd, buf, done, length - done, position + done);
    if (written === 0) throw new Error(`write made no progress at position ${position + done}`);
    done += written;
  }
}

export function fdatasync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.fdatasync(fd, (err) => (err ? reject(err) : resolve())));
}

export function fsyncFd(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.fsync(fd, (err) => (err ? reject(err) : resolve())));
}

export function ftruncate(fd: number, bytes: number): Promise<void> {
  return new Promise((resolve, reject) => fs.ftruncate(fd, bytes, (err) => (err ? reject(err) : resolve())));
}

export function closeFd(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.close(fd, (err) => (err ? reject(err) : resolve())));
}

/** fsync a directory so that creates, renames and unlinks in it are durable. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await fs.promises.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Writes `chunks` to dir/name atomically: a temp file, fsync, rename, fsync
 * the directory. A crash leaves either no file or the whole file (plus maybe a
 * *.tmp leftover, which open() deletes).
 */
export async function writeFileAtomic(
  dir: string,
  name: string,
  chunks: readonly Uint8Array[],
  sync: boolean,
): Promise<void> {
  const temp = join(dir, `${name}.tmp`);
  const handle = await fs.promises.open(temp, 'w');
  try {
    let position = 0;
    for (const chunk of chunks) {
      await writeAll(handle.fd, chunk, chunk.length, position);
      position += chunk.length;
    }
    if (sync) await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.promises.rename(temp, join(dir, name));
  if (sync) await fsyncDir(dir);
}

/** Opens a raw file descriptor (the caller closes it with closeFd). */
export function openFd(path: string, flags: string): Promise<number> {
  return new Promise((resolve, reject) => fs.open(path, flags, (err, fd) => (err ? reject(err) : resolve(fd))));
}

export function fstatBytes(fd: number): Promise<number> {
  return new Promise((resolve, reject) => fs.fstat(fd, (err, stats) => (err ? reject(err) : resolve(stats.size))));
}
