/**
 * What a replica starts from: the WAL's durable log, the state machine's
 * applied index, and — for a brand-new cluster — the bootstrap entries.
 *
 * Bootstrap (as etcd does): every founding replica writes the same first
 * entries, one AddVoter conf change per founding member (sorted by id, term 1,
 * committed), carrying the member's address. The core already knows them as
 * voters (bootstrapConfState) and skips them; the state machine records the
 * members and their addresses from them, like any later membership change.
 */
import { encodeConfChange } from '../raft/core/confchange-codec.js';
import {
  ConfChangeType,
  EntryType,
  logIndex,
  nodeId,
  term,
  type ConfState,
  type Entry,
  type HardState,
  type InitialState,
  type LogIndex,
} from '../raft/core/types.js';
import type { RecoveredState, Wal } from '../raft/wal/index.js';
import type { PeerAddress } from './config.js';

export class DataDirError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataDirError';
  }
}

export function memberContext(address: string): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ address }));
}

export function bootstrapEntries(peers: readonly PeerAddress[]): Entry[] {
  const sorted = [...peers].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return sorted.map((peer, i) => ({
    term: term(1),
    index: logIndex(i + 1),
    type: EntryType.ConfChange,
    data: encodeConfChange({ type: ConfChangeType.AddVoter, nodeId: nodeId(peer.id), context: memberContext(peer.address) }),
  }));
}

export function isFresh(state: RecoveredState): boolean {
  return state.hardState.term === 0 && state.entries.length === 0 && state.snapshot === null;
}

/** Writes the bootstrap entries into an empty WAL and returns the state they make. */
export async function bootstrapLog(wal: Wal, peers: readonly PeerAddress[]): Promise<RecoveredState> {
  const entries = bootstrapEntries(peers);
  const hardState: HardState = { term: term(1), vote: null, commit: logIndex(entries.length) };
  await wal.append(entries, hardState);
  return { hardState, snapshot: null, entries };
}

/**
 * The core's InitialState. The state machine may be ahead of the log (it
 * installed a leader's snapshot whose log marker was not yet written, or its
 * data is newer than the log's snapshot): the core then starts applied at what
 * its own log proves committed, and the state machine skips what it already has.
 */
export function initialState(recovered: RecoveredState, bootstrapConfState: ConfState, stateMachineApplied: LogIndex, dataDir: string): InitialState {
  const snapshotIndex = recovered.snapshot?.metadata.index ?? 0;
  const lastIndex = recovered.entries.length > 0 ? recovered.entries[recovered.entries.length - 1]!.index : snapshotIndex;
  if (stateMachineApplied < snapshotIndex) {
    throw new DataDirError(
      `${dataDir}: the state machine is at index ${stateMachineApplied} but the log was compacted through ${snapshotIndex}; ` +
        'entries in between are gone. The data directory is damaged: wipe it and let the replica rejoin by snapshot.',
    );
  }
  const commit = Math.min(Math.max(recovered.hardState.commit, snapshotIndex), lastIndex);
  const applied = Math.max(snapshotIndex, Math.min(stateMachineApplied, commit));
  return {
    hardState: { ...recovered.hardState, commit: logIndex(commit) },
    snapshot: recovered.snapshot?.metadata ?? null,
    entries: recovered.entries,
    bootstrapConfState,
    appliedIndex: logIndex(applied),
  };
}

/**
 * An index the core's starting configuration is known at (for noticing this
 * replica's own removal, src/raft/node/removal.ts): the last membership entry
 * the core replays at start (those up to the applied index), else the
 * snapshot's index, else 0 (the bootstrap configuration). Never above the
 * applied index (initialState() never starts applied below the snapshot).
 */
export function initialConfIndex(initial: InitialState): LogIndex {
  let index = initial.snapshot?.index ?? 0;
  for (const entry of initial.entries) {
    if (entry.index > initial.appliedIndex) break;
    if (entry.type === EntryType.ConfChange && entry.index > index) index = entry.index;
  }
  return logIndex(index);
}
