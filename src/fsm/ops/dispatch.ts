/** Maps each op kind to its handler. */
import type { CommandTxn } from '../batch.js';
import type { Op, OpKind } from '../commands.js';
import { applyPlacement, setAssignmentState } from './assignments.js';
import type { OpOutcome } from './common.js';
import { kvCas, kvDelete, kvDeleteRange, kvPut } from './kv.js';
import { createModel, deleteModel, updateModel } from './models.js';
import { deleteNode, registerNode, setLabels, setStatus, setTaints, updateCapabilities } from './nodes.js';

type Handler<K extends OpKind> = (txn: CommandTxn, op: Extract<Op, { kind: K }>) => Promise<OpOutcome>;

const handlers: { readonly [K in OpKind]: Handler<K> } = {
  'node.register': registerNode,
  'node.updateCapabilities': updateCapabilities,
  'node.setStatus': setStatus,
  'node.setLabels': setLabels,
  'node.setTaints': setTaints,
  'node.delete': deleteNode,
  'model.create': createModel,
  'model.update': updateModel,
  'model.delete': deleteModel,
  'placement.apply': applyPlacement,
  'assignment.setState': setAssignmentState,
  'kv.put': kvPut,
  'kv.delete': kvDelete,
  'kv.deleteRange': kvDeleteRange,
  'kv.cas': kvCas,
};

export function runOp(txn: CommandTxn, op: Op): Promise<OpOutcome> {
  return (handlers[op.kind] as Handler<OpKind>)(txn, op as never);
}
