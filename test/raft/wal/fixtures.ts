/** Entry and snapshot builders for the WAL tests; no test-runner imports, so child processes can use them too. */
import {
  EntryType,
  logIndex,
  nodeId,
  term,
  type Entry,
  type HardState,
  type Snapshot,
} from '../../../src/raft/core/types.js';

/** Deterministic payload for entry `index` of `bytes` bytes (never all zeros). */
export function payload(index: number, bytes: number): Uint8Array {
  const data = new Uint8Array(bytes);
  for (let k = 0; k < bytes; k++) data[k] = (index * 31 + k * 7 + 1) & 0xff || 1;
  return data;
}

export function entry(index: number, entryTerm = 1, bytes = 16): Entry {
  return { index: logIndex(index), term: term(entryTerm), type: EntryType.Normal, data: payload(index, bytes) };
}

export function entries(from: number, to: number, entryTerm = 1, bytes = 16): Entry[] {
  const out: Entry[] = [];
  for (let i = from; i <= to; i++) out.push(entry(i, entryTerm, bytes));
  return out;
}

export function hardState(hsTerm: number, commit: number, vote: string | null = null): HardState {
  return { term: term(hsTerm), commit: logIndex(commit), vote: vote === null ? null : nodeId(vote) };
}

export function snapshot(index: number, snapTerm: number, dataBytes = 64): Snapshot {
  return {
    metadata: {
      index: logIndex(index),
      term: term(snapTerm),
      confState: { voters: [nodeId('n1'), nodeId('n2')], learners: [] },
    },
    data: payload(index, dataBytes),
  };
}

