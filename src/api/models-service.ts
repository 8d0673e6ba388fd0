/**
 * The Models gRPC service: model versions as users declare them. Same write
 * and read paths as the Nodes service (see nodes-service.ts): ops are built
 * and validated with the request's field names, applied on the leader
 * (forwarded by a follower), answered once applied; reads are linearizable
 * unless `header.stale`.
 */
import {
  NotFoundError,
  ValidationError,
  modelRefText,
  rejection,
  validateDesiredReplicas,
  validateModelRef,
  validateModelRequirements,
  validateModelSpec,
  validateNamespace,
  type ModelFilter,
} from '../fsm/index.js';
import {
  ModelsClient,
  type CreateModelRequest,
  type CreateModelResponse,
  type DeleteModelRequest,
  type DeleteModelResponse,
  type GetModelRequest,
  type GetModelResponse,
  type ListModelsRequest,
  type ListModelsResponse,
  type ModelsServer,
  type UpdateModelRequest,
  type UpdateModelResponse,
} from '../gen/edgernetes/api/v1/models.js';
import { unary, type CallDefaults } from './call.js';
import { expected, pageRequest } from './convert-header.js';
import { refInput, requirementsInput, specInput, toModel } from './convert-models.js';
import { leaderWrite } from './leader-write.js';
import type { ReplicaApi } from './replica-api.js';
import { appliedResult, header } from './responses.js';

/** The namespace (and name) filter of a list, validated under the request's field names. */
function modelFilter(namespace: string, name: string): ModelFilter {
  if (namespace === '') {
    if (name !== '') throw new ValidationError('namespace', 'is required with name');
    return {};
  }
  const ns = validateNamespace(namespace, 'namespace');
  if (name === '') return { namespace: ns };
  // A placeholder version: only the name's own rule is checked here.
  return { namespace: ns, name: validateModelRef({ namespace: ns, name, version: '0' }, '').name };
}

export function modelsService(replica: ReplicaApi, defaults: CallDefaults): ModelsServer {
  const write = leaderWrite(replica, ModelsClient);

  return {
    create: unary<CreateModelRequest, CreateModelResponse>(defaults, async (request, context) => {
      const model = validateModelSpec(specInput(request.model, 'model'), 'model');
      return write((c) => c.create, request, context, { kind: 'model.create', model }, (result) => ({
        header: header(replica, result.revision),
        modRevision: appliedResult(result, 'model.create').modRevision,
      }));
    }),

    get: unary<GetModelRequest, GetModelResponse>(defaults, async (request, context) => {
      const ref = validateModelRef(refInput(request.model), 'model');
      const { value, revision } = await replica.read(request.header?.stale ?? false, context, (view) => view.getModel(ref));
      if (value === undefined) {
        throw new NotFoundError(rejection('NotFound', `model ${modelRefText(ref)} does not exist`, { field: 'model' }));
      }
      return { header: header(replica, revision), model: toModel(value) };
    }),

    list: unary<ListModelsRequest, ListModelsResponse>(defaults, async (request, context) => {
      const filter = modelFilter(request.namespace, request.name);
      const page = pageRequest(request.limit, request.cursor);
      const { value, revision } = await replica.read(request.header?.stale ?? false, context, (view) =>
        view.listModels(filter, page),
      );
      return { header: header(replica, revision), models: value.items.map(toModel), nextCursor: value.nextCursor ?? '' };
    }),

    update: unary<UpdateModelRequest, UpdateModelResponse>(defaults, async (request, context) => {
      const model = validateModelRef(refInput(request.model), 'model');
      if (request.requirements === undefined) {
        throw new ValidationError('requirements', 'is required (an empty message means no requirements)');
      }
      const requirements = validateModelRequirements(requirementsInput(request.requirements, 'requirements'), 'requirements');
      if (request.desiredReplicas === undefined) throw new ValidationError('desiredReplicas', 'is required');
      const desiredReplicas = validateDesiredReplicas(request.desiredReplicas, 'desiredReplicas');
      const op = { kind: 'model.update' as const, model, requirements, desiredReplicas, ...expected(request.expectedModRevision) };
      return write((c) => c.update, request, context, op, (result) => ({
        header: header(replica, result.revision),
        modRevision: appliedResult(result, 'model.update').modRevision,
      }));
    }),

    delete: unary<DeleteModelRequest, DeleteModelResponse>(defaults, async (request, context) => {
      const model = validateModelRef(refInput(request.model), 'model');
      const op = { kind: 'model.delete' as const, model, ...expected(request.expectedModRevision) };
      return write((c) => c.delete, request, context, op, (result) => ({
        header: header(replica, result.revision),
        assignmentsDeleted: appliedResult(result, 'model.delete').assignmentsDeleted,
      }));
    }),
  };
}
