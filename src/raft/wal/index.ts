/** The write-ahead log: public surface. */
export { Wal, SNAPSHOT_FILES_KEPT, type OpenedWal, type RecoveredState } from './wal.js';
export { initialStateFrom } from './initial-state.js';
export { WAL_DEFAULTS, type WalOptions } from './options.js';
export type { WalStats } from './stats.js';
export type { RecoveryReport } from './recover.js';
export {
  WalError,
  WalCorruptionError,
  WalSnapshotError,
  WalLockedError,
  WalConfigError,
  WalClosedError,
  WalIoError,
  WalCompactionError,
  WalTooLargeError,
  WalOverloadedError,
  WalStaleSnapshotError,
} from './errors.js';
