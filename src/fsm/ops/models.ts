/**
 * Model version ops. A version's artifact, format and tensors are immutable
 * once created; requirements and desired replicas can change. Deleting a
 * version deletes its assignments (bounded by REPLICAS_MAX).
 */
import { assert } from '../../raft/core/errors.js';
import type { CommandTxn } from '../batch.js';
import type { Op } from '../commands.js';
import { assignmentPrefix, modelKey, prefixRange } from '../keys.js';
import { REPLICAS_MAX } from '../limits.js';
import { modelRefText, type Model, type ModelRef } from '../types.js';
import { deleteAssignment } from './assignments.js';
import { checkExpected, ok, reject, sameAsStored, type OpOutcome } from './common.js';

type OpOf<K extends Op['kind']> = Extract<Op, { kind: K }>;

function makeModel(m: Model): Model {
  return {
    namespace: m.namespace,
    name: m.name,
    version: m.version,
    artifact: m.artifact,
    format: m.format,
    inputs: m.inputs,
    outputs: m.outputs,
    requirements: m.requirements,
    desiredReplicas: m.desiredReplicas,
    createRevision: m.createRevision,
    modRevision: m.modRevision,
  };
}

function putModel(txn: CommandTxn, model: Model): void {
  txn.put(modelKey(model), model);
  txn.emit({ kind: 'model', type: 'put', key: modelRefText(model), value: model });
  txn.schedulingChanged = true;
}

function notFound(ref: ModelRef): OpOutcome {
  return reject('NotFound', `model ${modelRefText(ref)} does not exist`, { field: 'op.model' });
}

export async function createModel(txn: CommandTxn, op: OpOf<'model.create'>): Promise<OpOutcome> {
  if (txn.get(modelKey(op.model)) !== undefined) {
    return reject('AlreadyExists', `model ${modelRefText(op.model)} already exists`, { field: 'op.model' });
  }
  if (txn.meta.modelCount >= txn.meta.limits.modelsMax) {
    return reject('LimitExceeded', `the cluster already has ${txn.meta.modelCount} model versions (the limit)`, {
      field: 'models',
    });
  }
  putModel(txn, makeModel({ ...op.model, createRevision: txn.revision, modRevision: txn.revision }));
  txn.delta.models += 1;
  return ok({ kind: 'model.create', modRevision: txn.revision });
}

export async function updateModel(txn: CommandTxn, op: OpOf<'model.update'>): Promise<OpOutcome> {
  const key = modelKey(op.model);
  const existing = txn.getRecord<Model>(key);
  if (existing === undefined) return notFound(op.model);
  const mismatch = checkExpected(op.expectedModRevision, existing.modRevision, `model ${modelRefText(op.model)}`);
  if (mismatch !== null) return mismatch;
  const next = makeModel({ ...existing, requirements: op.requirements, desiredReplicas: op.desiredReplicas });
  if (sameAsStored(txn, key, next)) return ok({ kind: 'model.update', modRevision: existing.modRevision });
  putModel(txn, makeModel({ ...next, modRevision: txn.revision }));
  return ok({ kind: 'model.update', modRevision: txn.revision });
}

export async function deleteModel(txn: CommandTxn, op: OpOf<'model.delete'>): Promise<OpOutcome> {
  const existing = txn.getRecord<Model>(modelKey(op.model));
  if (existing === undefined) return notFound(op.model);
  const mismatch = checkExpected(op.expectedModRevision, existing.modRevision, `model ${modelRefText(op.model)}`);
  if (mismatch !== null) return mismatch;
  const { namespace, name, version } = op.model;
  const prefix = assignmentPrefix(namespace, name, version);
  const assignments = await txn.scan(prefixRange(prefix), REPLICAS_MAX + 1);
  assert(assignments.length <= REPLICAS_MAX, `model ${modelRefText(op.model)} has at most ${REPLICAS_MAX} assignments`);
  for (const [key] of assignments) deleteAssignment(txn, op.model, key.slice(prefix.length));
  txn.del(modelKey(op.model));
  txn.emit({ kind: 'model', type: 'delete', key: modelRefText(op.model) });
  txn.delta.models -= 1;
  txn.schedulingChanged = true;
  return ok({ kind: 'model.delete', assignmentsDeleted: assignments.length });
}
