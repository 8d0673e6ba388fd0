/**
 * Client of the registry services — Nodes, Models, Deployments and Watch —
 * over an EndpointSet (failover between replicas with one deadline per call).
 *
 * Writes carry this client's (clientId, seq, firstUnackedSeq), so a write
 * retried after a failover is applied once; they may be issued concurrently,
 * up to `writesInFlightMax` in flight (see write-queue.ts).
 * Reads are linearizable unless `stale` is set. Errors are those of
 * EndpointSet.call: RequestError (with the gRPC code and the server's message,
 * which names the offending field for INVALID_ARGUMENT) or
 * ClusterUnavailableError.
 */
import {
  DeploymentsClient,
  type AssignmentState,
  type GetAssignmentResponse,
  type ListAssignmentsResponse,
  type ModelSelector,
  type SetAssignmentStateResponse,
} from '../gen/edgernetes/api/v1/deployments.js';
import {
  ModelsClient,
  ModelRequirements,
  ModelSpec,
  type CreateModelResponse,
  type DeleteModelResponse,
  type GetModelResponse,
  type ListModelsResponse,
  type ModelRef,
  type UpdateModelResponse,
} from '../gen/edgernetes/api/v1/models.js';
import {
  NodeRegistration,
  NodesClient,
  Taint,
  type DeepPartial,
  type DeleteNodeResponse,
  type GetNodeResponse,
  type ListNodesResponse,
  type NodeCondition,
  type RegisterNodeResponse,
  type SetNodeLabelsResponse,
  type SetNodeStatusResponse,
  type SetNodeTaintsResponse,
} from '../gen/edgernetes/api/v1/nodes.js';
import { EndpointSet, type EndpointSetOptions } from './endpoints.js';
import { WatchStream, type WatchRequestOptions, type WatchStreamOptions } from './watch-stream.js';
import { WriteQueue, type WriteQueueOptions } from './write-queue.js';

export interface RegistryClientOptions extends Partial<EndpointSetOptions>, WriteQueueOptions {
  /** Replicas to talk to; or pass `endpointSet` to share one (it is then not closed by close()). */
  readonly endpoints?: readonly string[];
  readonly endpointSet?: EndpointSet;
}

export interface ReadOptions {
  /** Serve from the contacted replica's local state (may be stale). Default: linearizable. */
  readonly stale?: boolean;
  readonly timeoutMs?: number;
}

export interface WriteOptions {
  /** Bound on the call once the write is sent (failover retries included); it may wait for room first. */
  readonly timeoutMs?: number;
}

export interface ConditionalWriteOptions extends WriteOptions {
  /** Apply only if the object's modRevision equals this (else FAILED_PRECONDITION). */
  readonly expectedModRevision?: number;
}

export interface PageOptions extends ReadOptions {
  /** Items per page; 0 or absent = server default. */
  readonly limit?: number;
  /** A previous page's nextCursor. */
  readonly cursor?: string;
}

export type AssignmentListFilter = { readonly nodeId: string } | { readonly model: ModelSelector } | Record<string, never>;

export class RegistryClient {
  private readonly endpointSet: EndpointSet;
  private readonly ownsEndpointSet: boolean;
  private readonly writes: WriteQueue;

  constructor(options: RegistryClientOptions) {
    if (options.endpointSet !== undefined) {
      this.endpointSet = options.endpointSet;
      this.ownsEndpointSet = false;
    } else {
      if (options.endpoints === undefined) throw new RangeError('endpoints: required unless endpointSet is given');
      this.endpointSet = new EndpointSet({ ...options, endpoints: options.endpoints });
      this.ownsEndpointSet = true;
    }
    const { clientId, writesInFlightMax, writesQueuedMax } = options;
    this.writes = new WriteQueue({ clientId, writesInFlightMax, writesQueuedMax });
  }

  get clientId(): string {
    return this.writes.clientId;
  }

  // ---------------------------------------------------------------- nodes

  /** Creates the node, or updates the name, address and capabilities of an existing one. */
  registerNode(node: DeepPartial<NodeRegistration>, options: WriteOptions = {}): Promise<RegisterNodeResponse> {
    return this.writes.run((header) =>
      this.endpointSet.call(NodesClient, (c) => c.register, { header, node: NodeRegistration.fromPartial(node) }, options.timeoutMs),
    );
  }

  getNode(id: string, options: ReadOptions = {}): Promise<GetNodeResponse> {
    return this.endpointSet.call(NodesClient, (c) => c.get, { header: readHeader(options), id }, options.timeoutMs);
  }

  listNodes(options: PageOptions = {}): Promise<ListNodesResponse> {
    const request = { header: readHeader(options), limit: options.limit ?? 0, cursor: options.cursor ?? '' };
    return this.endpointSet.call(NodesClient, (c) => c.list, request, options.timeoutMs);
  }

  /** `timeMs` absent: the leader's clock. */
  setNodeStatus(
    id: string,
    condition: NodeCondition,
    reason: string,
    options: WriteOptions & { timeMs?: number } = {},
  ): Promise<SetNodeStatusResponse> {
    return this.writes.run((header) => {
      const request = { header, id, condition, reason, timeMs: options.timeMs ?? 0 };
      return this.endpointSet.call(NodesClient, (c) => c.setStatus, request, options.timeoutMs);
    });
  }

  /** Replaces the node's labels. */
  setNodeLabels(
    id: string,
    labels: Readonly<Record<string, string>>,
    options: ConditionalWriteOptions = {},
  ): Promise<SetNodeLabelsResponse> {
    return this.writes.run((header) => {
      const request = { header, id, labels: { ...labels }, expectedModRevision: options.expectedModRevision ?? 0 };
      return this.endpointSet.call(NodesClient, (c) => c.setLabels, request, options.timeoutMs);
    });
  }

  /** Replaces the node's taints. */
  setNodeTaints(
    id: string,
    taints: readonly DeepPartial<Taint>[],
    options: ConditionalWriteOptions = {},
  ): Promise<SetNodeTaintsResponse> {
    return this.writes.run((header) => {
      const request = {
        header,
        id,
        taints: taints.map((t) => Taint.fromPartial(t)),
        expectedModRevision: options.expectedModRevision ?? 0,
      };
      return this.endpointSet.call(NodesClient, (c) => c.setTaints, request, options.timeoutMs);
    });
  }

  /** Deletes the node and every assignment on it. */
  deleteNode(id: string, options: ConditionalWriteOptions = {}): Promise<DeleteNodeResponse> {
    return this.writes.run((header) => {
      const request = { header, id, expectedModRevision: options.expectedModRevision ?? 0 };
      return this.endpointSet.call(NodesClient, (c) => c.delete, request, options.timeoutMs);
    });
  }

  // ---------------------------------------------------------------- models

  createModel(model: DeepPartial<ModelSpec>, options: WriteOptions = {}): Promise<CreateModelResponse> {
    return this.writes.run((header) =>
      this.endpointSet.call(ModelsClient, (c) => c.create, { header, model: ModelSpec.fromPartial(model) }, options.timeoutMs),
    );
  }

  getModel(model: ModelRef, options: ReadOptions = {}): Promise<GetModelResponse> {
    return this.endpointSet.call(ModelsClient, (c) => c.get, { header: readHeader(options), model: { ...model } }, options.timeoutMs);
  }

  /** Every version, those of `namespace`, or those of one model `name` in it. */
  listModels(filter: { namespace?: string; name?: string } = {}, options: PageOptions = {}): Promise<ListModelsResponse> {
    const request = {
      header: readHeader(options),
      namespace: filter.namespace ?? '',
      name: filter.name ?? '',
      limit: options.limit ?? 0,
      cursor: options.cursor ?? '',
    };
    return this.endpointSet.call(ModelsClient, (c) => c.list, request, options.timeoutMs);
  }

  /** Replaces a version's requirements and desired replicas. */
  updateModel(
    model: ModelRef,
    requirements: DeepPartial<ModelRequirements>,
    desiredReplicas: number,
    options: ConditionalWriteOptions = {},
  ): Promise<UpdateModelResponse> {
    return this.writes.run((header) => {
      const request = {
        header,
        model: { ...model },
        requirements: ModelRequirements.fromPartial(requirements),
        desiredReplicas,
        expectedModRevision: options.expectedModRevision ?? 0,
      };
      return this.endpointSet.call(ModelsClient, (c) => c.update, request, options.timeoutMs);
    });
  }

  /** Deletes one version and every assignment of it. */
  deleteModel(model: ModelRef, options: ConditionalWriteOptions = {}): Promise<DeleteModelResponse> {
    return this.writes.run((header) => {
      const request = { header, model: { ...model }, expectedModRevision: options.expectedModRevision ?? 0 };
      return this.endpointSet.call(ModelsClient, (c) => c.delete, request, options.timeoutMs);
    });
  }

  // ---------------------------------------------------------------- deployments

  /** Assignments held by a node, of some model versions, or all of them. */
  listAssignments(filter: AssignmentListFilter = {}, options: PageOptions = {}): Promise<ListAssignmentsResponse> {
    const request = {
      header: readHeader(options),
      filter:
        'nodeId' in filter
          ? { $case: 'nodeId' as const, value: filter.nodeId }
          : 'model' in filter
            ? { $case: 'model' as const, value: { ...filter.model } }
            : undefined,
      limit: options.limit ?? 0,
      cursor: options.cursor ?? '',
    };
    return this.endpointSet.call(DeploymentsClient, (c) => c.list, request, options.timeoutMs);
  }

  getAssignment(model: ModelRef, nodeId: string, options: ReadOptions = {}): Promise<GetAssignmentResponse> {
    const request = { header: readHeader(options), model: { ...model }, nodeId };
    return this.endpointSet.call(DeploymentsClient, (c) => c.get, request, options.timeoutMs);
  }

  /** `timeMs` absent: the leader's clock. */
  setAssignmentState(
    model: ModelRef,
    nodeId: string,
    state: AssignmentState,
    reason: string,
    options: ConditionalWriteOptions & { timeMs?: number } = {},
  ): Promise<SetAssignmentStateResponse> {
    return this.writes.run((header) => {
      const request = {
        header,
        model: { ...model },
        nodeId,
        state,
        reason,
        timeMs: options.timeMs ?? 0,
        expectedModRevision: options.expectedModRevision ?? 0,
      };
      return this.endpointSet.call(DeploymentsClient, (c) => c.setState, request, options.timeoutMs);
    });
  }

  // ---------------------------------------------------------------- watch

  /** A resumable stream of changes (see watch-stream.ts); iterate it once, cancel() to stop. */
  watch(request: WatchRequestOptions = {}, options: Partial<WatchStreamOptions> = {}): WatchStream {
    return new WatchStream(this.endpointSet, request, options);
  }

  close(): void {
    if (this.ownsEndpointSet) this.endpointSet.close();
  }
}

function readHeader(options: ReadOptions): { stale: boolean } {
  return { stale: options.stale ?? false };
}
