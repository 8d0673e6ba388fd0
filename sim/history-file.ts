/**
 * Writes a seed's client history as JSON Lines (the checker's input format),
 * so a history the checker rejects, or chokes on, can be replayed with
 * `edgernetes check-history FILE` without re-running the simulation.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HistoryEvent } from '../src/check/types.js';

export function writeHistory(seed: number, history: readonly HistoryEvent[]): string {
  const dir = join(tmpdir(), 'edgernetes-sim');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `seed-${seed}.jsonl`);
  writeFileSync(path, history.map((e) => JSON.stringify(e)).join('\n') + '\n');
  return path;
}
