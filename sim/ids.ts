/**
 * Replica numbering: the simulator names replicas by small numbers (n3 = 3)
 * so per-replica state fits in arrays; the core sees NodeId strings "n3".
 * Numbers are never reused: a replica added later gets a fresh one.
 */
import { nodeId, type NodeId } from '../src/raft/core/types.js';
import { simAssert } from './errors.js';

const ids: NodeId[] = [];

export function replicaId(replica: number): NodeId {
  let id = ids[replica];
  if (id === undefined) {
    id = nodeId(`n${replica}`);
    ids[replica] = id;
  }
  return id;
}

export function replicaNumber(id: NodeId): number {
  const n = Number.parseInt(id.slice(1), 10);
  simAssert(id.startsWith('n') && Number.isInteger(n) && n > 0, `replica id ${id}`);
  return n;
}
