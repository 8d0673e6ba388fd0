/**
 * The Nodes gRPC service: edge devices, as agents register them and
 * administrators label and taint them.
 *
 * Every handler first builds and validates its op with the request's field
 * names (so a follower refuses a bad request without a hop), then runs it on
 * the leader — forwarding the call when this replica is a follower; the
 * leader's handler builds the op again, with its own clock for a `time_ms` of
 * 0 — and answers once it is applied. Reads are linearizable unless
 * `header.stale`.
 */
import {
  NotFoundError,
  rejection,
  validateLabels,
  validateNodeId,
  validateNodeRegistration,
  validateNodeStatus,
  validateTaints,
} from '../fsm/index.js';
import {
  NodesClient,
  type DeleteNodeRequest,
  type DeleteNodeResponse,
  type GetNodeRequest,
  type GetNodeResponse,
  type ListNodesRequest,
  type ListNodesResponse,
  type NodesServer,
  type RegisterNodeRequest,
  type RegisterNodeResponse,
  type SetNodeLabelsRequest,
  type SetNodeLabelsResponse,
  type SetNodeStatusRequest,
  type SetNodeStatusResponse,
  type SetNodeTaintsRequest,
  type SetNodeTaintsResponse,
} from '../gen/edgernetes/api/v1/nodes.js';
import { unary, type CallDefaults } from './call.js';
import { expected, pageRequest, plainMap, timeOrNow } from './convert-header.js';
import { nodeConditions, registrationInput, taintsInput, toNode } from './convert-nodes.js';
import { leaderWrite } from './leader-write.js';
import type { ReplicaApi } from './replica-api.js';
import { appliedResult, header } from './responses.js';

export function nodesService(replica: ReplicaApi, defaults: CallDefaults): NodesServer {
  const write = leaderWrite(replica, NodesClient);

  return {
    register: unary<RegisterNodeRequest, RegisterNodeResponse>(defaults, async (request, context) => {
      const node = validateNodeRegistration(registrationInput(request.node, 'node'), 'node');
      return write((c) => c.register, request, context, { kind: 'node.register', node, timeMs: Date.now() }, (result) => {
        const r = appliedResult(result, 'node.register');
        return { header: header(replica, result.revision), created: r.created, modRevision: r.modRevision };
      });
    }),

    get: unary<GetNodeRequest, GetNodeResponse>(defaults, async (request, context) => {
      const id = validateNodeId(request.id, 'id');
      const { value, revision } = await replica.read(request.header?.stale ?? false, context, (view) => view.getNode(id));
      if (value === undefined) throw new NotFoundError(rejection('NotFound', `node ${id} does not exist`, { field: 'id' }));
      return { header: header(replica, revision), node: toNode(value) };
    }),

    list: unary<ListNodesRequest, ListNodesResponse>(defaults, async (request, context) => {
      const page = pageRequest(request.limit, request.cursor);
      const { value, revision } = await replica.read(request.header?.stale ?? false, context, (view) => view.listNodes(page));
      return { header: header(replica, revision), nodes: value.items.map(toNode), nextCursor: value.nextCursor ?? '' };
    }),

    setStatus: unary<SetNodeStatusRequest, SetNodeStatusResponse>(defaults, async (request, context) => {
      const id = validateNodeId(request.id, 'id');
      const status = validateNodeStatus(
        { condition: nodeConditions.toFsm(request.condition, 'condition'), reason: request.reason, timeMs: timeOrNow(request.timeMs) },
        '',
      );
      return write((c) => c.setStatus, request, context, { kind: 'node.setStatus', id, status }, (result) => ({
        header: header(replica, result.revision),
        modRevision: appliedResult(result, 'node.setStatus').modRevision,
      }));
    }),

    setLabels: unary<SetNodeLabelsRequest, SetNodeLabelsResponse>(defaults, async (request, context) => {
      const id = validateNodeId(request.id, 'id');
      const labels = validateLabels(plainMap(request.labels), 'labels');
      const op = { kind: 'node.setLabels' as const, id, labels, ...expected(request.expectedModRevision) };
      return write((c) => c.setLabels, request, context, op, (result) => ({
        header: header(replica, result.revision),
        modRevision: appliedResult(result, 'node.setLabels').modRevision,
      }));
    }),

    setTaints: unary<SetNodeTaintsRequest, SetNodeTaintsResponse>(defaults, async (request, context) => {
      const id = validateNodeId(request.id, 'id');
      const taints = validateTaints(taintsInput(request.taints, 'taints'), 'taints');
      const op = { kind: 'node.setTaints' as const, id, taints, ...expected(request.expectedModRevision) };
      return write((c) => c.setTaints, request, context, op, (result) => ({
        header: header(replica, result.revision),
        modRevision: appliedResult(result, 'node.setTaints').modRevision,
      }));
    }),

    delete: unary<DeleteNodeRequest, DeleteNodeResponse>(defaults, async (request, context) => {
      const id = validateNodeId(request.id, 'id');
      const op = { kind: 'node.delete' as const, id, ...expected(request.expectedModRevision) };
      return write((c) => c.delete, request, context, op, (result) => ({
        header: header(replica, result.revision),
        assignmentsDeleted: appliedResult(result, 'node.delete').assignmentsDeleted,
      }));
    }),
  };
}
