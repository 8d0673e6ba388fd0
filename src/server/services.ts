/** Registers every API service of a replica on its gRPC server (undecodable requests: undecodable.ts). */
import type * as grpc from '@grpc/grpc-js';
import { clusterService, type ClusterApi } from '../api/cluster-service.js';
import { healthService } from '../api/health-service.js';
import { kvHandlers, kvService } from '../api/kv-service.js';
import { pipelineService, PipelineStreams } from '../api/pipeline-service.js';
import { nodesService } from '../api/nodes-service.js';
import { modelsService } from '../api/models-service.js';
import { deploymentsService } from '../api/deployments-service.js';
import { watchService } from '../api/watch-service.js';
import { register } from '../api/undecodable.js';
import { NodesService } from '../gen/edgernetes/api/v1/nodes.js';
import { ModelsService } from '../gen/edgernetes/api/v1/models.js';
import { DeploymentsService } from '../gen/edgernetes/api/v1/deployments.js';
import { WatchService } from '../gen/edgernetes/api/v1/watch.js';
import { ClusterService } from '../gen/edgernetes/api/v1/cluster.js';
import { KVService } from '../gen/edgernetes/api/v1/kv.js';
import { PipelineService } from '../gen/edgernetes/api/v1/pipeline.js';
import { HealthService } from '../gen/grpc/health/v1/health.js';

/** Requests without a deadline get this one, so nothing waits forever. */
export const REQUEST_TIMEOUT_MS_DEFAULT = 10_000;

/** What a stopping replica must end itself: long-lived calls that never finish on their own. */
export interface ServiceHandles {
  readonly pipelines: PipelineStreams;
}

export function registerServices(server: grpc.Server, replica: ClusterApi): ServiceHandles {
  const defaults = { requestTimeoutMs: REQUEST_TIMEOUT_MS_DEFAULT };
  const pipelines = new PipelineStreams();
  const kv = kvHandlers(replica);
  register(server, KVService, kvService(kv, defaults));
  register(server, PipelineService, pipelineService(kv, defaults, pipelines));
  register(server, ClusterService, clusterService(replica, defaults));
  register(server, NodesService, nodesService(replica, defaults));
  register(server, ModelsService, modelsService(replica, defaults));
  register(server, DeploymentsService, deploymentsService(replica, defaults));
  register(server, WatchService, watchService(replica));
  register(server, HealthService, healthService(() => replica.leaderId() !== '', defaults));
  return { pipelines };
}
