/**
 * Node ops. Every change to a node bumps the scheduling revision (placements
 * based on an older view are then rejected). A change that would store the
 * same bytes is a successful no-op: no revision, no event.
 */
import type { CommandTxn } from '../batch.js';
import type { Op } from '../commands.js';
import { assert } from '../../raft/core/errors.js';
import { assignmentByNodePrefix, nodeKey, parseAssignmentByNodeKey, prefixRange } from '../keys.js';
import { ASSIGNMENTS_PER_NODE_MAX } from '../limits.js';
import type { EdgeNode } from '../types.js';
import { deleteAssignment } from './assignments.js';
import { checkExpected, ok, reject, sameAsStored, type OpOutcome } from './common.js';

type OpOf<K extends Op['kind']> = Extract<Op, { kind: K }>;

/** The node record with its fields in canonical order. */
function makeNode(n: EdgeNode): EdgeNode {
  return {
    id: n.id,
    name: n.name,
    address: n.address,
    labels: n.labels,
    taints: n.taints,
    capabilities: n.capabilities,
    status: n.status,
    createRevision: n.createRevision,
    modRevision: n.modRevision,
  };
}

function notFound(id: string): OpOutcome {
  return reject('NotFound', `node ${id} does not exist`, { field: 'op.id' });
}

/** Stores `node` unless nothing changed; returns its modRevision. */
function writeNode(txn: CommandTxn, node: EdgeNode): number {
  const key = nodeKey(node.id);
  if (sameAsStored(txn, key, node)) return node.modRevision;
  const written = makeNode({ ...node, modRevision: txn.revision });
  txn.put(key, written);
  txn.emit({ kind: 'node', type: 'put', key: node.id, value: written });
  txn.schedulingChanged = true;
  return written.modRevision;
}

export async function registerNode(txn: CommandTxn, op: OpOf<'node.register'>): Promise<OpOutcome> {
  const { node: reg } = op;
  const existing = txn.getRecord<EdgeNode>(nodeKey(reg.id));
  if (existing !== undefined) {
    const updated = makeNode({ ...existing, name: reg.name, address: reg.address, capabilities: reg.capabilities });
    return ok({ kind: 'node.register', created: false, modRevision: writeNode(txn, updated) });
  }
  if (txn.meta.nodeCount >= txn.meta.limits.nodesMax) {
    return reject('LimitExceeded', `the cluster already has ${txn.meta.nodeCount} nodes (the limit)`, {
      field: 'nodes',
    });
  }
  const node = makeNode({
    ...reg,
    taints: [],
    status: { condition: 'Unknown', reason: 'Registered', timeMs: op.timeMs },
    createRevision: txn.revision,
    modRevision: 0,
  });
  txn.delta.nodes += 1;
  return ok({ kind: 'node.register', created: true, modRevision: writeNode(txn, node) });
}

/** Loads the node, checks expectedModRevision, and writes `change(node)`. */
function updateNode(
  txn: CommandTxn,
  id: string,
  expected: number | undefined,
  change: (node: EdgeNode) => EdgeNode,
): OpOutcome | { modRevision: number } {
  const existing = txn.getRecord<EdgeNode>(nodeKey(id));
  if (existing === undefined) return notFound(id);
  const mismatch = checkExpected(expected, existing.modRevision, `node ${id}`);
  if (mismatch !== null) return mismatch;
  return { modRevision: writeNode(txn, makeNode(change(existing))) };
}

export async function updateCapabilities(txn: CommandTxn, op: OpOf<'node.updateCapabilities'>): Promise<OpOutcome> {
  const out = updateNode(txn, op.id, op.expectedModRevision, (n) => ({ ...n, capabilities: op.capabilities }));
  return 'modRevision' in out ? ok({ kind: op.kind, modRevision: out.modRevision }) : out;
}

export async function setStatus(txn: CommandTxn, op: OpOf<'node.setStatus'>): Promise<OpOutcome> {
  const out = updateNode(txn, op.id, undefined, (n) => ({ ...n, status: op.status }));
  return 'modRevision' in out ? ok({ kind: op.kind, modRevision: out.modRevision }) : out;
}

export async function setLabels(txn: CommandTxn, op: OpOf<'node.setLabels'>): Promise<OpOutcome> {
  const out = updateNode(txn, op.id, op.expectedModRevision, (n) => ({ ...n, labels: op.labels }));
  return 'modRevision' in out ? ok({ kind: op.kind, modRevision: out.modRevision }) : out;
}

export async function setTaints(txn: CommandTxn, op: OpOf<'node.setTaints'>): Promise<OpOutcome> {
  const out = updateNode(txn, op.id, op.expectedModRevision, (n) => ({ ...n, taints: op.taints }));
  return 'modRevision' in out ? ok({ kind: op.kind, modRevision: out.modRevision }) : out;
}

/** Deletes the node and every assignment on it (bounded by ASSIGNMENTS_PER_NODE_MAX). */
export async function deleteNode(txn: CommandTxn, op: OpOf<'node.delete'>): Promise<OpOutcome> {
  const existing = txn.getRecord<EdgeNode>(nodeKey(op.id));
  if (existing === undefined) return notFound(op.id);
  const mismatch = checkExpected(op.expectedModRevision, existing.modRevision, `node ${op.id}`);
  if (mismatch !== null) return mismatch;
  const onNode = await txn.scan(prefixRange(assignmentByNodePrefix(op.id)), ASSIGNMENTS_PER_NODE_MAX + 1);
  assert(
    onNode.length <= ASSIGNMENTS_PER_NODE_MAX,
    `node ${op.id} holds at most ${ASSIGNMENTS_PER_NODE_MAX} assignments`,
  );
  for (const [indexKey] of onNode) {
    const { nodeId, model } = parseAssignmentByNodeKey(indexKey);
    deleteAssignment(txn, model, nodeId);
  }
  txn.del(nodeKey(op.id));
  txn.emit({ kind: 'node', type: 'delete', key: op.id });
  txn.delta.nodes -= 1;
  txn.schedulingChanged = true;
  return ok({ kind: 'node.delete', assignmentsDeleted: onNode.length });
}
