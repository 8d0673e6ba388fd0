/** Small builders shared by the simulator's unit tests. */
import { EntryType, logIndex, nodeId, term, type Entry } from '../../src/raft/core/types.js';

/** Entries first..last, all of term `t`, with data derived from index and term (so different terms differ). */
export function entries(first: number, last: number, t: number): Entry[] {
  const out: Entry[] = [];
  for (let i = first; i <= last; i++) {
    out.push({ index: logIndex(i), term: term(t), type: EntryType.Normal, data: new Uint8Array([i & 0xff, t & 0xff]) });
  }
  return out;
}

export const n = (k: number) => nodeId(`n${k}`);
