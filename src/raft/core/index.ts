/**
 * The pure Raft core: `createRaft(config, initialState, rng)` and everything a
 * driver (production node, simulator) or storage engine needs to use it.
 */
export { createRaft } from './core.js';
export { DEFAULT_RAFT_CONFIG, validateRaftConfig } from './config.js';
export { seededRng } from './rng.js';
export { encodeConfChange, decodeConfChange, ConfChangeDecodeError } from './confchange-codec.js';
export * from './errors.js';
export * from './types.js';
export type * from './api.js';
