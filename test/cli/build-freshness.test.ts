// Goal: the CLIs run the compiled dist/ only while it matches the sources: a
// source edited, added or removed after the build makes it stale (they then
// run the sources through tsx), and a tree never built is stale.
// Method: bin/freshness.mjs on a temporary tree with a stamp as scripts/build.mjs writes it.
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildIsFresh, newestSource, STAMP_FILE } from '../../bin/freshness.mjs';

const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});

function tree(): string {
  const root = mkdtempSync(join(tmpdir(), 'edg-fresh-'));
  roots.push(root);
  mkdirSync(join(root, 'src', 'cli'), { recursive: true });
  writeFileSync(join(root, 'src', 'a.ts'), 'export const a = 1;\n');
  writeFileSync(join(root, 'src', 'cli', 'b.ts'), 'export const b = 2;\n');
  writeFileSync(join(root, 'src', 'cli', 'c.d.ts'), 'export declare const c: number;\n');
  return root;
}

function stamp(root: string): void {
  const { files, newestMtimeMs } = newestSource(root);
  mkdirSync(join(root, 'dist'), { recursive: true });
  writeFileSync(join(root, STAMP_FILE), JSON.stringify({ newestSourceMtimeMs: newestMtimeMs, files: files.length }));
}

describe('build freshness', () => {
  it('is stale before any build and fresh right after one (declaration files do not count)', () => {
    const root = tree();
    expect(buildIsFresh(root)).toBe(false);
    stamp(root);
    expect(newestSource(root).files).toHaveLength(2);
    expect(buildIsFresh(root)).toBe(true);
  });

  it('is stale once a source is edited after the build', () => {
    const root = tree();
    stamp(root);
    const later = new Date(Date.now() + 5_000);
    utimesSync(join(root, 'src', 'cli', 'b.ts'), later, later);
    expect(buildIsFresh(root)).toBe(false);
  });

  it('is stale once a source is added or removed', () => {
    const root = tree();
    const past = new Date(Date.now() - 60_000);
    stamp(root);
    writeFileSync(join(root, 'src', 'new.ts'), 'export {};\n');
    utimesSync(join(root, 'src', 'new.ts'), past, past); // older than the build, yet not compiled
    expect(buildIsFresh(root)).toBe(false);
    rmSync(join(root, 'src', 'new.ts'));
    expect(buildIsFresh(root)).toBe(true);
    rmSync(join(root, 'src', 'a.ts'));
    expect(buildIsFresh(root)).toBe(false);
  });
});
