/**
 * Assignments (a model version placed on a node) and the fenced placement op.
 *
 * Fencing: a placement carries the leader term and the revision of the state
 * its decision read. It is rejected (StalePlacement) when
 *  - a placement of a newer term was already applied, or
 *  - anything the scheduler reads (nodes, models, assignments) changed after
 *    that revision (meta.schedulingRevision > basedOnRevision).
 * So a deposed leader's scheduler, whose proposals may still commit, cannot
 * place on top of decisions it never saw: two plans based on the same view
 * cannot both apply.
 */
import { assert } from '../../raft/core/errors.js';
import type { CommandTxn } from '../batch.js';
import type { ModelNodePair, Op } from '../commands.js';
import {
  assignmentByNodeKey,
  assignmentByNodePrefix,
  assignmentKey,
  assignmentPrefix,
  modelKey,
  nodeKey,
  prefixRange,
} from '../keys.js';
import { ASSIGNMENTS_PER_NODE_MAX, REPLICAS_MAX } from '../limits.js';
import { assignmentText, modelRefText, type Assignment, type AssignmentState, type ModelRef } from '../types.js';
import { checkExpected, ok, reject, sameAsStored, type OpOutcome } from './common.js';

type OpOf<K extends Op['kind']> = Extract<Op, { kind: K }>;

/** Allowed state changes (a state may also be re-set to itself with a new reason). */
const TRANSITIONS: Readonly<Record<AssignmentState, readonly AssignmentState[]>> = {
  Pending: ['Pending', 'Loading', 'Ready', 'Failed'],
  Loading: ['Loading', 'Ready', 'Failed', 'Pending'],
  Ready: ['Ready', 'Loading', 'Failed'],
  Failed: ['Failed', 'Pending', 'Loading'],
};

function makeAssignment(a: Assignment): Assignment {
  return {
    model: { namespace: a.model.namespace, name: a.model.name, version: a.model.version },
    nodeId: a.nodeId,
    state: a.state,
    reason: a.reason,
    timeMs: a.timeMs,
    placementTerm: a.placementTerm,
    createRevision: a.createRevision,
    modRevision: a.modRevision,
  };
}

function putAssignment(txn: CommandTxn, assignment: Assignment): void {
  txn.put(assignmentKey(assignment.model, assignment.nodeId), assignment);
  txn.put(assignmentByNodeKey(assignment.nodeId, assignment.model), '');
  txn.emit({
    kind: 'assignment',
    type: 'put',
    key: assignmentText(assignment.nodeId, assignment.model),
    value: assignment,
  });
  txn.schedulingChanged = true;
}

/** Removes an existing assignment and its index entry (used by cascades too). */
export function deleteAssignment(txn: CommandTxn, model: ModelRef, nodeId: string): void {
  assert(txn.get(assignmentKey(model, nodeId)) !== undefined, 'only existing assignments are deleted');
  txn.del(assignmentKey(model, nodeId));
  txn.del(assignmentByNodeKey(nodeId, model));
  txn.emit({ kind: 'assignment', type: 'delete', key: assignmentText(nodeId, model) });
  txn.schedulingChanged = true;
}

function checkFence(txn: CommandTxn, op: OpOf<'placement.apply'>): OpOutcome | null {
  const { meta } = txn;
  if (op.term < meta.placementTermMax) {
    return reject(
      'StalePlacement',
      `placement from term ${op.term}; a placement from term ${meta.placementTermMax} was already applied`,
      {
        field: 'op.term',
        details: { term: op.term, placementTermMax: meta.placementTermMax },
      },
    );
  }
  if (op.basedOnRevision > meta.revision) {
    return reject(
      'Invalid',
      `basedOnRevision ${op.basedOnRevision} is ahead of the current revision ${meta.revision}`,
      {
        field: 'op.basedOnRevision',
      },
    );
  }
  if (meta.schedulingRevision > op.basedOnRevision) {
    return reject(
      'StalePlacement',
      `placement based on revision ${op.basedOnRevision}, but scheduling state changed at revision ${meta.schedulingRevision}`,
      {
        field: 'op.basedOnRevision',
        details: { basedOnRevision: op.basedOnRevision, schedulingRevision: meta.schedulingRevision },
      },
    );
  }
  return null;
}

/** Counts already held per model version and per node, read once and then tracked. */
class Occupancy {
  private readonly perModel = new Map<string, number>();
  private readonly perNode = new Map<string, number>();

  constructor(private readonly txn: CommandTxn) {}

  async modelCount(ref: ModelRef): Promise<number> {
    const id = modelRefText(ref);
    let count = this.perModel.get(id);
    if (count === undefined) {
      const range = prefixRange(assignmentPrefix(ref.namespace, ref.name, ref.version));
      count = (await this.txn.scan(range, REPLICAS_MAX + 1)).length;
      this.perModel.set(id, count);
    }
    return count;
  }

  async nodeCount(nodeId: string): Promise<number> {
    let count = this.perNode.get(nodeId);
    if (count === undefined) {
      count = (await this.txn.scan(prefixRange(assignmentByNodePrefix(nodeId)), ASSIGNMENTS_PER_NODE_MAX + 1)).length;
      this.perNode.set(nodeId, count);
    }
    return count;
  }

  add(pair: ModelNodePair, delta: number): void {
    const id = modelRefText(pair.model);
    this.perModel.set(id, (this.perModel.get(id) ?? 0) + delta);
    this.perNode.set(pair.nodeId, (this.perNode.get(pair.nodeId) ?? 0) + delta);
  }
}

async function checkAssign(
  txn: CommandTxn,
  pair: ModelNodePair,
  field: string,
  occupancy: Occupancy,
): Promise<OpOutcome | null> {
  const where = `${modelRefText(pair.model)} on node ${pair.nodeId}`;
  if (txn.get(modelKey(pair.model)) === undefined) {
    return reject('NotFound', `model ${modelRefText(pair.model)} does not exist`, { field: `${field}.model` });
  }
  if (txn.get(nodeKey(pair.nodeId)) === undefined) {
    return reject('NotFound', `node ${pair.nodeId} does not exist`, { field: `${field}.nodeId` });
  }
  if (txn.get(assignmentKey(pair.model, pair.nodeId)) !== undefined) {
    return reject('AlreadyExists', `${where} is already assigned`, { field });
  }
  if ((await occupancy.modelCount(pair.model)) >= REPLICAS_MAX) {
    return reject('LimitExceeded', `${modelRefText(pair.model)} already has ${REPLICAS_MAX} assignments`, { field });
  }
  if ((await occupancy.nodeCount(pair.nodeId)) >= ASSIGNMENTS_PER_NODE_MAX) {
    return reject('LimitExceeded', `node ${pair.nodeId} already holds ${ASSIGNMENTS_PER_NODE_MAX} assignments`, {
      field,
    });
  }
  return null;
}

export async function applyPlacement(txn: CommandTxn, op: OpOf<'placement.apply'>): Promise<OpOutcome> {
  const fenced = checkFence(txn, op);
  if (fenced !== null) return fenced;
  const occupancy = new Occupancy(txn);
  for (const [i, pair] of op.unassign.entries()) {
    if (txn.get(assignmentKey(pair.model, pair.nodeId)) === undefined) {
      const where = `${modelRefText(pair.model)} on node ${pair.nodeId}`;
      return reject('NotFound', `${where} is not assigned`, { field: `op.unassign[${i}]` });
    }
    await occupancy.nodeCount(pair.nodeId);
    await occupancy.modelCount(pair.model);
    deleteAssignment(txn, pair.model, pair.nodeId);
    occupancy.add(pair, -1);
  }
  for (const [i, pair] of op.assign.entries()) {
    const refused = await checkAssign(txn, pair, `op.assign[${i}]`, occupancy);
    if (refused !== null) return refused;
    putAssignment(
      txn,
      makeAssignment({
        model: pair.model,
        nodeId: pair.nodeId,
        state: 'Pending',
        reason: 'Placed',
        timeMs: op.timeMs,
        placementTerm: op.term,
        createRevision: txn.revision,
        modRevision: txn.revision,
      }),
    );
    occupancy.add(pair, +1);
  }
  txn.placementTerm = op.term;
  return ok({ kind: 'placement.apply', assigned: op.assign.length, unassigned: op.unassign.length });
}

export async function setAssignmentState(txn: CommandTxn, op: OpOf<'assignment.setState'>): Promise<OpOutcome> {
  const key = assignmentKey(op.model, op.nodeId);
  const existing = txn.getRecord<Assignment>(key);
  const where = `${modelRefText(op.model)} on node ${op.nodeId}`;
  if (existing === undefined) return reject('NotFound', `${where} is not assigned`, { field: 'op.model' });
  const mismatch = checkExpected(op.expectedModRevision, existing.modRevision, `assignment of ${where}`);
  if (mismatch !== null) return mismatch;
  if (!TRANSITIONS[existing.state].includes(op.state)) {
    return reject('InvalidTransition', `assignment of ${where} cannot go from ${existing.state} to ${op.state}`, {
      field: 'op.state',
      details: { from: existing.state, to: op.state },
    });
  }
  const next = makeAssignment({ ...existing, state: op.state, reason: op.reason, timeMs: op.timeMs });
  if (sameAsStored(txn, key, next)) return ok({ kind: op.kind, modRevision: existing.modRevision });
  putAssignment(txn, makeAssignment({ ...next, modRevision: txn.revision }));
  return ok({ kind: op.kind, modRevision: txn.revision });
}
