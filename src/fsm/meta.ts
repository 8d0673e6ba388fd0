/**
 * The meta record: everything about the applied state that is not an object
 * of the data model. Written in every applied batch together with the data
 * (one Level batch), so applied index, revision and data can never disagree.
 */
import { assert } from '../raft/core/errors.js';
import type { ReplicatedLimits } from './config.js';

/** Version of the on-disk layout (keys.ts and the record shapes). */
export const STORE_FORMAT_VERSION = 1;

export interface MetaState {
  formatVersion: number;
  /** Last applied log index and its term; 0/0 for an empty state. */
  appliedIndex: number;
  appliedTerm: number;
  /** Global revision: +1 for every command that changed something. */
  revision: number;
  /** Last revision that changed nodes, models or assignments (placement fencing). */
  schedulingRevision: number;
  /** Highest leader term of an applied placement (placement fencing). */
  placementTermMax: number;
  /** Oldest revision still in the change log; revision + 1 when the log is empty. */
  changeLogFirstRevision: number;
  changeLogBytes: number;
  nodeCount: number;
  modelCount: number;
  kvKeyCount: number;
  kvBytes: number;
  limits: ReplicatedLimits;
}

export function initialMeta(limits: ReplicatedLimits): MetaState {
  return {
    formatVersion: STORE_FORMAT_VERSION,
    appliedIndex: 0,
    appliedTerm: 0,
    revision: 0,
    schedulingRevision: 0,
    placementTermMax: 0,
    changeLogFirstRevision: 1,
    changeLogBytes: 0,
    nodeCount: 0,
    modelCount: 0,
    kvKeyCount: 0,
    kvBytes: 0,
    limits: { ...limits },
  };
}

/** A copy with fields in canonical order (so the stored bytes are deterministic). */
export function copyMeta(meta: MetaState): MetaState {
  const copy = initialMeta(meta.limits);
  for (const field of Object.keys(copy) as (keyof MetaState)[]) {
    if (field !== 'limits') (copy as unknown as Record<string, unknown>)[field] = meta[field];
  }
  return copy;
}

/** Invariants that hold between batches. */
export function assertMeta(meta: MetaState): void {
  assert(
    meta.formatVersion === STORE_FORMAT_VERSION,
    `store format ${meta.formatVersion} is not ${STORE_FORMAT_VERSION}`,
  );
  assert(meta.schedulingRevision <= meta.revision, 'schedulingRevision <= revision');
  assert(
    meta.changeLogFirstRevision >= 1 && meta.changeLogFirstRevision <= meta.revision + 1,
    `change log starts at ${meta.changeLogFirstRevision}, revision is ${meta.revision}`,
  );
  assert(
    meta.nodeCount >= 0 && meta.modelCount >= 0 && meta.kvKeyCount >= 0 && meta.kvBytes >= 0,
    'object counters are not negative',
  );
}
