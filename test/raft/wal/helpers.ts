/** Shared fixtures for the WAL tests: temp directories, entries, hard states, file surgery. */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import type { Entry } from '../../../src/raft/core/types.js';

export { entries, entry, hardState, payload, snapshot } from './fixtures.js';

const dirs: string[] = [];

/** A fresh directory under the OS temp dir, removed after the test. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wal-test-'));
  dirs.push(dir);
  return dir;
}

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Compact view of entries for equality checks: "index:term:first data byte". */
export function shape(list: readonly Entry[]): string[] {
  return list.map((e) => `${e.index}:${e.term}:${e.data.length}:${e.data[0] ?? '-'}`);
}

export function segmentNames(dir: string): string[] {
  return readdirSync(dir)
    .filter((n) => n.endsWith('.wal'))
    .sort();
}

export function snapshotNames(dir: string): string[] {
  return readdirSync(dir)
    .filter((n) => n.endsWith('.snap'))
    .sort();
}

/** Applies `edit` to a copy of the file's bytes and writes them back. */
export function editFile(path: string, edit: (bytes: Buffer) => Buffer): void {
  writeFileSync(path, edit(readFileSync(path)));
}

export function flipBit(path: string, offset: number, bit = 0): void {
  editFile(path, (bytes) => {
    bytes[offset] = bytes[offset]! ^ (1 << bit);
    return bytes;
  });
}
