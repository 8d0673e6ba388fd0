/**
 * The replicated state machine: public surface for the server, API and
 * scheduler. See state-machine.ts for the driver contract.
 */
export { StateMachine, type SnapshotSource, type StateMachineStatus } from './state-machine.js';
export { COMMAND_VERSION, OP_KINDS, validateCommand, validateOp } from './commands.js';
export type { Command, KvExpectation, ModelNodePair, Op, OpKind } from './commands.js';
export { decodeCommand, encodeCommand, type DecodedCommand } from './codec.js';
export * from './errors.js';
export * from './types.js';
export * from './limits.js';
export type { ApplyResult, EntryOutcome, OpResult, OpResultKind, ResultOf } from './results.js';
export { WATCH_KINDS, type ChangeEvent, type WatchEvent, type WatchKind } from './events.js';
export type { Watcher, WatchBatch, WatchOptions } from './watch.js';
export type { AssignmentFilter, ModelFilter, Page, PageRequest, ReadView } from './reads.js';
export type { SnapshotChunk } from './snapshot-format.js';
export type { RestoreBuild } from './restore.js';
export {
  DEFAULT_LOCAL_SETTINGS,
  DEFAULT_REPLICATED_LIMITS,
  type LocalSettings,
  type ReplicatedLimits,
  type StateMachineOptions,
} from './config.js';
export type { FileOps } from './swap.js';
