/**
 * Builds a TEST COPY of the Raft core with one rule deliberately broken, for
 * the mutation tests: copies src/raft/core into a temporary folder, replaces
 * one exact piece of source text, and loads the copy. The anchor text must
 * occur exactly once, so a refactor that moves or rewrites the rule makes the
 * test fail loudly (fix the anchor) instead of silently testing nothing.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCoreFrom, type CoreModule } from '../../sim/core-module.js';

const CORE_DIR = fileURLToPath(new URL('../../src/raft/core/', import.meta.url));

export interface Mutation {
  readonly name: string;
  /** File inside src/raft/core. */
  readonly file: string;
  /** Exact source text to replace; must occur exactly once in `file`. */
  readonly anchor: string;
  readonly replacement: string;
}

export class MutationAnchorError extends Error {
  constructor(mutation: Mutation, occurrences: number) {
    super(`mutation ${mutation.name}: anchor occurs ${occurrences} times in ${mutation.file} (expected exactly 1); update it to the core's current code`);
    this.name = 'MutationAnchorError';
  }
}

export interface MutantCore {
  readonly core: CoreModule;
  /** Deletes the temporary copy (once the test is done with it). */
  dispose(): void;
}

export async function mutantCore(mutation: Mutation): Promise<MutantCore> {
  const dir = mkdtempSync(join(tmpdir(), `edgernetes-mutant-${mutation.name}-`));
  cpSync(CORE_DIR, dir, { recursive: true });
  const path = join(dir, mutation.file);
  const source = readFileSync(path, 'utf8');
  const occurrences = source.split(mutation.anchor).length - 1;
  if (occurrences !== 1) throw new MutationAnchorError(mutation, occurrences);
  writeFileSync(path, source.replace(mutation.anchor, mutation.replacement));
  const core = await loadCoreFrom(dir);
  return { core, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}
