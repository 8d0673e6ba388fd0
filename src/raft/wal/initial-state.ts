/** Builds the core's InitialState from what the WAL recovered plus what only the driver knows. */
import type { ConfState, InitialState, LogIndex } from '../core/types.js';
import type { RecoveredState } from './wal.js';

export function initialStateFrom(
  recovered: RecoveredState,
  driver: { readonly bootstrapConfState: ConfState; readonly appliedIndex: LogIndex },
): InitialState {
  return {
    hardState: recovered.hardState,
    snapshot: recovered.snapshot?.metadata ?? null,
    entries: recovered.entries,
    bootstrapConfState: driver.bootstrapConfState,
    appliedIndex: driver.appliedIndex,
  };
}
