/**
 * The standard gRPC health service (grpc.health.v1). A replica is SERVING
 * while it knows a leader (it can take writes and linearizable reads), and
 * NOT_SERVING otherwise. Service names: "" (the replica) and the API services.
 */
import { status as Code, type ServerWritableStream } from '@grpc/grpc-js';
import {
  HealthCheckResponse_ServingStatus as Serving,
  type HealthCheckRequest,
  type HealthCheckResponse,
  type HealthServer,
} from '../gen/grpc/health/v1/health.js';
import { unary, type CallDefaults } from './call.js';
import { ApiError } from './status.js';

export const HEALTH_SERVICES = [
  '',
  'edgernetes.api.v1.KV',
  'edgernetes.api.v1.Cluster',
  'edgernetes.api.v1.Nodes',
  'edgernetes.api.v1.Models',
  'edgernetes.api.v1.Deployments',
  'edgernetes.api.v1.Watch',
] as const;

/** Interval at which Watch re-checks and reports changes. */
const WATCH_POLL_MS = 250;

export function healthService(hasLeader: () => boolean, defaults: CallDefaults): HealthServer {
  const current = (): Serving => (hasLeader() ? Serving.SERVING : Serving.NOT_SERVING);
  const known = (service: string) => (HEALTH_SERVICES as readonly string[]).includes(service);
  return {
    check: unary<HealthCheckRequest, HealthCheckResponse>(defaults, async (request) => {
      if (!known(request.service)) throw new ApiError(Code.NOT_FOUND, `service ${JSON.stringify(request.service)} is unknown`);
      return { status: current() };
    }),
    watch(call: ServerWritableStream<HealthCheckRequest, HealthCheckResponse>): void {
      if (!known(call.request.service)) {
        call.write({ status: Serving.SERVICE_UNKNOWN });
        call.end();
        return;
      }
      let last: Serving | null = null;
      const report = () => {
        const now = current();
        if (now !== last) {
          last = now;
          call.write({ status: now });
        }
      };
      report();
      const timer = setInterval(report, WATCH_POLL_MS);
      const end = () => clearInterval(timer);
      call.on('cancelled', end);
      call.on('close', end);
      call.on('error', end);
    },
  };
}
