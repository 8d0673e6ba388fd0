/**
 * The Deployments gRPC service: assignments of model versions to nodes and
 * the state agents report for them. Assignments themselves are created and
 * removed by the scheduler's fenced placement op, which is internal to the
 * leader and deliberately not exposed here. Same write and read paths as the
 * Nodes service (see nodes-service.ts).
 */
import {
  NotFoundError,
  ValidationError,
  assignmentText,
  rejection,
  validateModelRef,
  validateNamespace,
  validateNodeId,
  validateReason,
  validateTimeMs,
  type AssignmentFilter,
} from '../fsm/index.js';
import {
  DeploymentsClient,
  type DeploymentsServer,
  type GetAssignmentRequest,
  type GetAssignmentResponse,
  type ListAssignmentsRequest,
  type ListAssignmentsResponse,
  type SetAssignmentStateRequest,
  type SetAssignmentStateResponse,
} from '../gen/edgernetes/api/v1/deployments.js';
import { unary, type CallDefaults } from './call.js';
import { assignmentStates, toAssignment } from './convert-assignments.js';
import { expected, pageRequest, timeOrNow } from './convert-header.js';
import { refInput } from './convert-models.js';
import { leaderWrite } from './leader-write.js';
import type { ReplicaApi } from './replica-api.js';
import { appliedResult, header } from './responses.js';

/** The list filter, validated under the request's field names (`nodeId`, `model.namespace`, ...). */
function assignmentFilter(filter: ListAssignmentsRequest['filter']): AssignmentFilter {
  if (filter === undefined) return {};
  if (filter.$case === 'nodeId') return { nodeId: validateNodeId(filter.value, 'nodeId') };
  const { namespace, name, version } = filter.value;
  const ns = validateNamespace(namespace, 'model.namespace');
  if (name === '') {
    if (version !== '') throw new ValidationError('model.name', 'is required with version');
    return { namespace: ns };
  }
  // Placeholders stand in for the parts not given: only the given parts' rules are checked.
  const ref = validateModelRef({ namespace: ns, name, version: version === '' ? '0' : version }, 'model');
  return version === '' ? { namespace: ns, name: ref.name } : { namespace: ns, name: ref.name, version: ref.version };
}

export function deploymentsService(replica: ReplicaApi, defaults: CallDefaults): DeploymentsServer {
  const write = leaderWrite(replica, DeploymentsClient);

  return {
    list: unary<ListAssignmentsRequest, ListAssignmentsResponse>(defaults, async (request, context) => {
      const filter = assignmentFilter(request.filter);
      const page = pageRequest(request.limit, request.cursor);
      const { value, revision } = await replica.read(request.header?.stale ?? false, context, (view) =>
        view.listAssignments(filter, page),
      );
      return { header: header(replica, revision), assignments: value.items.map(toAssignment), nextCursor: value.nextCursor ?? '' };
    }),

    get: unary<GetAssignmentRequest, GetAssignmentResponse>(defaults, async (request, context) => {
      const model = validateModelRef(refInput(request.model), 'model');
      const nodeId = validateNodeId(request.nodeId, 'nodeId');
      const { value, revision } = await replica.read(request.header?.stale ?? false, context, (view) =>
        view.getAssignment(model, nodeId),
      );
      if (value === undefined) {
        const what = assignmentText(nodeId, model);
        throw new NotFoundError(rejection('NotFound', `assignment ${what} does not exist`, { field: 'model' }));
      }
      return { header: header(replica, revision), assignment: toAssignment(value) };
    }),

    setState: unary<SetAssignmentStateRequest, SetAssignmentStateResponse>(defaults, async (request, context) => {
      const model = validateModelRef(refInput(request.model), 'model');
      const nodeId = validateNodeId(request.nodeId, 'nodeId');
      const state = assignmentStates.toFsm(request.state, 'state');
      if (state === undefined) throw new ValidationError('state', 'is required');
      const op = {
        kind: 'assignment.setState' as const,
        model,
        nodeId,
        state,
        reason: validateReason(request.reason, 'reason'),
        timeMs: validateTimeMs(timeOrNow(request.timeMs), 'timeMs'),
        ...expected(request.expectedModRevision),
      };
      return write((c) => c.setState, request, context, op, (result) => ({
        header: header(replica, result.revision),
        modRevision: appliedResult(result, 'assignment.setState').modRevision,
      }));
    }),
  };
}
