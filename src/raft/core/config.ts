/**
 * Raft configuration defaults and validation. A config is validated once, at
 * construction; every error names the offending field (ConfigError.field).
 */
import type { RaftConfig, ReadOnlyOption } from './api.js';
import { ConfigError } from './errors.js';

const MIB = 1024 * 1024;

/** Defaults for everything but the node id: `{ ...DEFAULT_RAFT_CONFIG, id }`. */
export const DEFAULT_RAFT_CONFIG: Omit<RaftConfig, 'id'> = Object.freeze({
  electionTimeoutTicks: 10,
  heartbeatIntervalTicks: 1,
  preVote: true,
  checkQuorum: true,
  readOnlyOption: 'safe' as ReadOnlyOption,
  maxInflightMsgs: 256,
  maxInflightBytes: 32 * MIB,
  maxMsgEntriesBytes: 1 * MIB,
  maxUncommittedEntriesBytes: 64 * MIB,
  maxPendingProposals: 8192,
  maxCommittedEntriesBytesPerReady: 16 * MIB,
});

/** Upper bound on any tick count or size we accept (keeps arithmetic exact). */
const NUMBER_MAX = 2 ** 40;

function positiveInteger(field: keyof RaftConfig, value: unknown): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > NUMBER_MAX) {
    throw new ConfigError(field, `must be a positive integer (got ${String(value)})`);
  }
}

function nonNegativeInteger(field: keyof RaftConfig, value: unknown): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > NUMBER_MAX) {
    throw new ConfigError(field, `must be a non-negative integer (got ${String(value)})`);
  }
}

function boolean(field: keyof RaftConfig, value: unknown): void {
  if (typeof value !== 'boolean') throw new ConfigError(field, `must be a boolean (got ${String(value)})`);
}

/** Throws ConfigError naming the first invalid field; returns the config unchanged otherwise. */
export function validateRaftConfig(config: RaftConfig): RaftConfig {
  if (typeof config.id !== 'string' || config.id.length === 0) throw new ConfigError('id', 'must be a non-empty string');
  positiveInteger('electionTimeoutTicks', config.electionTimeoutTicks);
  positiveInteger('heartbeatIntervalTicks', config.heartbeatIntervalTicks);
  if (config.heartbeatIntervalTicks >= config.electionTimeoutTicks) {
    throw new ConfigError('heartbeatIntervalTicks', `must be < electionTimeoutTicks (${config.heartbeatIntervalTicks} >= ${config.electionTimeoutTicks})`);
  }
  boolean('preVote', config.preVote);
  boolean('checkQuorum', config.checkQuorum);
  if (config.readOnlyOption !== 'safe' && config.readOnlyOption !== 'leaseBased') {
    throw new ConfigError('readOnlyOption', `must be 'safe' or 'leaseBased' (got ${String(config.readOnlyOption)})`);
  }
  if (config.readOnlyOption === 'leaseBased' && !config.checkQuorum) {
    throw new ConfigError('readOnlyOption', "'leaseBased' requires checkQuorum (a leader must step down when it loses its quorum)");
  }
  positiveInteger('maxInflightMsgs', config.maxInflightMsgs);
  nonNegativeInteger('maxInflightBytes', config.maxInflightBytes);
  positiveInteger('maxMsgEntriesBytes', config.maxMsgEntriesBytes);
  if (config.maxInflightBytes !== 0 && config.maxInflightBytes < config.maxMsgEntriesBytes) {
    throw new ConfigError('maxInflightBytes', `must be 0 (no limit) or >= maxMsgEntriesBytes (${config.maxMsgEntriesBytes})`);
  }
  positiveInteger('maxUncommittedEntriesBytes', config.maxUncommittedEntriesBytes);
  if (config.maxUncommittedEntriesBytes < config.maxMsgEntriesBytes) {
    throw new ConfigError('maxUncommittedEntriesBytes', `must be >= maxMsgEntriesBytes (${config.maxMsgEntriesBytes}) so a largest entry fits`);
  }
  positiveInteger('maxPendingProposals', config.maxPendingProposals);
  positiveInteger('maxCommittedEntriesBytesPerReady', config.maxCommittedEntriesBytesPerReady);
  return config;
}
