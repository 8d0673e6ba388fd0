/** Registers every API service of a replica on its gRPC server. */
import type * as grpc from '@grpc/grpc-js';
import { clusterService, type ClusterApi } from '../api/cluster-service.js';
import { healthService } from '../api/health-service.js';
import { kvHandlers, kvService } from '../api/kv-service.js';
import { pipelineService, PipelineStreams } from '../api/pipeline-service.js';
import { nodesService } from '../api/nodes-service.js';
import { modelsService } from '../api/models-service.js';
import { deploymentsService } from '../api/deployments-service.js';
import { watchService } from '../api/watch-service.js';
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
  server.addService(KVService, kvService(kv, defaults));
  server.addService(PipelineService, pipelineService(kv, defaults, pipelines));
  server.addService(ClusterService, clusterService(replica, defaults));
  server.addService(NodesService, nodesService(replica, defaults));
  server.addService(ModelsService, modelsService(replica, defaults));
  server.addService(DeploymentsService, deploymentsService(replica, defaults));
  server.addService(WatchService, watchService(replica));
  server.addService(HealthService, healthService(() => replica.leaderId() !== '', defaults));
  return { pipelines };
}
