/**
 * Random small histories of any verdict, for cross-checking against the brute-force oracle:
 * a few processes, each running a short sequence of operations on one or two keys, merged in a
 * random interleaving; outcomes ok / fail / info / never completed, values from a tiny range so
 * that coincidences (and violations) are common.
 */
import { Rng } from '../../src/check/random-history.js';
import type { HistoryEvent, Value } from '../../src/check/types.js';

export interface SmallHistoryOptions {
  readonly operations: number;
  readonly processes: number;
  readonly keys: number;
}

const VALUES: readonly Value[] = [null, 1, 2, 3];

export function randomSmallHistory(rng: Rng, options: SmallHistoryOptions): HistoryEvent[] {
  const queues: HistoryEvent[][] = Array.from({ length: options.processes }, () => []);
  for (let i = 0; i < options.operations; i++) {
    const process = rng.int(options.processes);
    const queue = queues[process];
    // After a never-completed operation the process is gone; start a fresh queue instead.
    if (queue.length > 0 && queue[queue.length - 1].type === 'invoke') continue;
    queue.push(...randomOperation(rng, process, options.keys));
  }
  const events: HistoryEvent[] = [];
  const cursors = queues.map(() => 0);
  for (;;) {
    const live = queues.map((_, p) => p).filter((p) => cursors[p] < queues[p].length);
    if (live.length === 0) return events;
    const p = live[rng.int(live.length)];
    events.push(queues[p][cursors[p]++]);
  }
}

function randomOperation(rng: Rng, process: number, keys: number): HistoryEvent[] {
  const key = `k${rng.int(keys)}`;
  const roll = rng.next();
  const f = roll < 0.4 ? 'read' : roll < 0.75 ? 'write' : 'cas';
  const pick = (): Value => VALUES[rng.int(VALUES.length)];
  const pickWritten = (): Value => VALUES[1 + rng.int(VALUES.length - 1)];
  const value = f === 'read' ? null : f === 'write' ? pickWritten() : ([pick(), pickWritten()] as const);
  const invoke: HistoryEvent = { process, type: 'invoke', f, key, value };
  const fate = rng.next();
  if (fate < 0.08) return [invoke];
  const type = fate < 0.16 ? 'fail' : fate < 0.26 ? 'info' : 'ok';
  if (type !== 'ok') return [invoke, { process, type, f, key, value: f === 'read' ? null : value }];
  if (f === 'read') return [invoke, { process, type, f, key, value: pick() }];
  if (f === 'write') return [invoke, { process, type, f, key, value }];
  return [invoke, { process, type, f, key, value, result: rng.next() < 0.5 }];
}
