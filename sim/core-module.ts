/**
 * The Raft core the simulator drives, as a parameter: the real one from
 * src/raft/core, or (in the mutation tests) a copy with one rule broken.
 * Everything the simulator needs from a core implementation is here.
 */
import type { RaftConfig, RaftCore } from '../src/raft/core/api.js';
import type { InitialState, Rng } from '../src/raft/core/types.js';
import { createRaft, DEFAULT_RAFT_CONFIG } from '../src/raft/core/index.js';
import { seededRng } from '../src/raft/core/rng.js';

export interface CoreModule {
  createRaft(config: RaftConfig, initialState: InitialState, rng: Rng): RaftCore;
  readonly DEFAULT_RAFT_CONFIG: Omit<RaftConfig, 'id'>;
  seededRng(seed: number): Rng;
}

export const REAL_CORE: CoreModule = { createRaft, DEFAULT_RAFT_CONFIG, seededRng };

/**
 * Loads a core from a folder holding a copy of src/raft/core (index.ts and
 * rng.ts). The simulator's own randomness keeps using the real seededRng, so
 * a mutant changes only the rules under test, never the schedule.
 */
export async function loadCoreFrom(folder: string): Promise<CoreModule> {
  const index = (await import(`${folder}/index.ts`)) as Pick<CoreModule, 'createRaft' | 'DEFAULT_RAFT_CONFIG'>;
  return { createRaft: index.createRaft, DEFAULT_RAFT_CONFIG: index.DEFAULT_RAFT_CONFIG, seededRng };
}

/**
 * Names of the errors a core throws for expected refusals. Matched by name,
 * not instanceof, because a copied core has its own error classes.
 */
export const EXPECTED_CORE_ERRORS: ReadonlySet<string> = new Set([
  'ProposalDroppedError',
  'NotLeaderError',
  'InvalidConfChangeError',
  'LeadershipTransferError',
]);

export function isExpectedCoreError(error: unknown): error is Error {
  return error instanceof Error && EXPECTED_CORE_ERRORS.has(error.name);
}
