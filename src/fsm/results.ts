/**
 * What apply() hands back for each entry. Results are plain data: they are
 * stored in client sessions (so a retried command gets the first answer) and
 * must encode identically on every replica.
 */
import type { LogIndex, NodeId } from '../raft/core/types.js';
import type { Rejection } from './errors.js';

export type OpResult =
  | { readonly kind: 'node.register'; readonly created: boolean; readonly modRevision: number }
  | { readonly kind: 'node.updateCapabilities'; readonly modRevision: number }
  | { readonly kind: 'node.setStatus'; readonly modRevision: number }
  | { readonly kind: 'node.setLabels'; readonly modRevision: number }
  | { readonly kind: 'node.setTaints'; readonly modRevision: number }
  | { readonly kind: 'node.delete'; readonly assignmentsDeleted: number }
  | { readonly kind: 'model.create'; readonly modRevision: number }
  | { readonly kind: 'model.update'; readonly modRevision: number }
  | { readonly kind: 'model.delete'; readonly assignmentsDeleted: number }
  | { readonly kind: 'placement.apply'; readonly assigned: number; readonly unassigned: number }
  | { readonly kind: 'assignment.setState'; readonly modRevision: number }
  | {
      readonly kind: 'kv.put';
      readonly createRevision: number;
      readonly modRevision: number;
      readonly version: number;
      /** 0 when the key did not exist. */
      readonly prevModRevision: number;
    }
  | { readonly kind: 'kv.delete'; readonly deleted: boolean; readonly prevModRevision: number }
  | { readonly kind: 'kv.deleteRange'; readonly deleted: number; readonly more: boolean }
  | {
      readonly kind: 'kv.cas';
      /** The swapped-in entry; for a swap to "absent" createRevision and version are 0. */
      readonly createRevision: number;
      readonly modRevision: number;
      readonly version: number;
    }
  | { readonly kind: 'member.add'; readonly id: NodeId; readonly role: 'voter' | 'learner' }
  | { readonly kind: 'member.promote'; readonly id: NodeId }
  | { readonly kind: 'member.remove'; readonly id: NodeId };

export type OpResultKind = OpResult['kind'];
/** The result type of one op kind, e.g. ResultOf<'kv.put'>. */
export type ResultOf<K extends OpResultKind> = Extract<OpResult, { kind: K }>;

export type EntryOutcome =
  | { readonly status: 'applied'; readonly result: OpResult }
  | { readonly status: 'rejected'; readonly rejection: Rejection }
  /** The leader's empty entry at the start of its term. */
  | { readonly status: 'noop' }
  /** The entry was at or below the applied index: applied before, not again. */
  | { readonly status: 'skipped' };

export interface ApplyResult {
  readonly index: LogIndex;
  /**
   * The store revision after this entry. For a write, the revision it
   * created; for a rejection, no-op or skip, the revision it left unchanged;
   * for a duplicate, the revision of the original application.
   */
  readonly revision: number;
  readonly outcome: EntryOutcome;
  /** True when this was a retry of (clientId, seq) answered from the session. */
  readonly duplicate: boolean;
}
