/**
 * How the client's KV calls travel: pipelined by default (one long-lived
 * stream per endpoint, see pipeline.ts), with EndpointSet's failover around
 * every attempt. An endpoint that does not know the Pipeline service (an older
 * replica: UNIMPLEMENTED) gets unary calls from then on, so a client works
 * against a cluster in the middle of an upgrade.
 */
import { status as Code } from '@grpc/grpc-js';
import {
  KVClient,
  type CompareAndSwapRequest,
  type CompareAndSwapResponse,
  type DeleteRequest,
  type DeleteResponse,
  type GetRequest,
  type GetResponse,
  type PutRequest,
  type PutResponse,
  type RangeRequest,
  type RangeResponse,
} from '../gen/edgernetes/api/v1/kv.js';
import { PipelineClient } from '../gen/edgernetes/api/v1/pipeline.js';
import { invokeUnary, type EndpointSet } from './endpoints.js';
import { PipelineCallError, PipelineConnection, type PipelineOp } from './pipeline.js';

/** Request and response of each KV method. */
export interface KvMethods {
  put: [PutRequest, PutResponse];
  get: [GetRequest, GetResponse];
  range: [RangeRequest, RangeResponse];
  delete: [DeleteRequest, DeleteResponse];
  compareAndSwap: [CompareAndSwapRequest, CompareAndSwapResponse];
}
export type KvMethod = keyof KvMethods;

/**
 * One pipeline per endpoint for KV calls, and the endpoints found to lack the
 * Pipeline service (UNIMPLEMENTED: an older replica), which get unary calls
 * from then on. Used by the client (KvCalls) and by a follower forwarding to
 * its leader (src/server/replica.ts).
 */
export class KvPipelines {
  private readonly pipelines = new Map<string, PipelineConnection>();
  private readonly unaryOnly = new Set<string>();

  /** `open` makes the pipeline to an endpoint the first time one is needed. */
  constructor(private readonly open: (endpoint: string) => PipelineConnection) {}

  /** `method` at `endpoint` on its pipeline, or through `unary` where the endpoint has no Pipeline service. */
  async call<M extends KvMethod>(
    endpoint: string,
    method: M,
    request: KvMethods[M][0],
    deadlineMs: number,
    unary: () => Promise<KvMethods[M][1]>,
  ): Promise<KvMethods[M][1]> {
    if (!this.unaryOnly.has(endpoint)) {
      try {
        const result = await this.pipelineTo(endpoint).request({ $case: method, value: request } as PipelineOp, deadlineMs);
        if (result.$case !== method) throw new PipelineCallError(Code.INTERNAL, `asked ${endpoint} for ${method}, answered ${result.$case}`);
        return result.value as KvMethods[M][1];
      } catch (err) {
        if ((err as PipelineCallError).code !== Code.UNIMPLEMENTED) throw err;
        this.unaryOnly.add(endpoint);
      }
    }
    return unary();
  }

  close(): void {
    for (const pipeline of this.pipelines.values()) pipeline.close();
    this.pipelines.clear();
  }

  private pipelineTo(endpoint: string): PipelineConnection {
    let pipeline = this.pipelines.get(endpoint);
    if (pipeline === undefined) {
      pipeline = this.open(endpoint);
      this.pipelines.set(endpoint, pipeline);
    }
    return pipeline;
  }
}

export class KvCalls {
  /** Null: every call is unary (as clients before the Pipeline service). */
  private readonly pipelines: KvPipelines | null;

  constructor(
    private readonly endpoints: EndpointSet,
    pipelined: boolean,
  ) {
    this.pipelines = pipelined ? new KvPipelines((endpoint) => new PipelineConnection(endpoints.clientFor(PipelineClient, endpoint), endpoint)) : null;
  }

  call<M extends KvMethod>(method: M, request: KvMethods[M][0], timeoutMs?: number): Promise<KvMethods[M][1]> {
    return this.endpoints.withFailover(timeoutMs, (endpoint, attemptDeadlineMs) => {
      const unary = () => this.unary(method, request, endpoint, attemptDeadlineMs);
      return this.pipelines === null ? unary() : this.pipelines.call(endpoint, method, request, attemptDeadlineMs, unary);
    });
  }

  close(): void {
    this.pipelines?.close();
  }

  private unary<M extends KvMethod>(method: M, request: KvMethods[M][0], endpoint: string, deadlineMs: number): Promise<KvMethods[M][1]> {
    const client = this.endpoints.clientFor(KVClient, endpoint);
    const unary = client[method].bind(client) as Parameters<typeof invokeUnary<KvMethods[M][0], KvMethods[M][1]>>[0];
    return invokeUnary(unary, request, deadlineMs);
  }
}
