/**
 * A small etcd v3 client over gRPC (@grpc/grpc-js), enough for the benchmarks:
 * Put, Range (linearizable or serializable) and Status.
 *
 * Failover follows the same policy as our own client (src/client/endpoints.ts),
 * so both systems are measured through equal client logic: one deadline per
 * call; an attempt goes to the endpoint that last answered; on a status another
 * endpoint may fix it moves to the next endpoint, with a bounded exponential
 * backoff after each full rotation. One addition: `attemptTimeoutMs` bounds a
 * single attempt. etcd needs it for failover, because a follower whose leader
 * died holds a forwarded Put until its request timeout (5 s + 2 election
 * timeouts) instead of failing fast; a benchmark must report the value it used.
 *
 * Each endpoint has its own channel (`grpc.use_local_subchannel_pool`), so
 * clients never share a connection and a killed member fails only its own.
 */
import {
  credentials,
  loadPackageDefinition,
  Metadata,
  status as GrpcStatus,
  type Client,
  type GrpcObject,
  type ServiceClientConstructor,
  type ServiceError,
} from '@grpc/grpc-js';
import assert from 'node:assert/strict';
import { ensureEtcd } from './etcd-install.js';
import { loadEtcdProtos } from './etcd-proto.js';
import { EtcdRequestError } from './errors.js';
import { sleepMs } from './wait.js';

export interface EtcdClientOptions {
  /** HOST:PORT of each member's client URL. */
  readonly endpoints: readonly string[];
  /** Upper bound on one whole call, retries included. */
  readonly callTimeoutMs: number;
  /** Upper bound on one attempt at one endpoint; at most callTimeoutMs. */
  readonly attemptTimeoutMs: number;
  /** Backoff after a full rotation over all endpoints: base, doubled each rotation, capped. */
  readonly rotationBackoffMsBase: number;
  readonly rotationBackoffMsMax: number;
}

export const DEFAULT_ETCD_CLIENT_OPTIONS: Omit<EtcdClientOptions, 'endpoints'> = {
  callTimeoutMs: 5_000,
  attemptTimeoutMs: 5_000,
  rotationBackoffMsBase: 25,
  rotationBackoffMsMax: 400,
};

export interface EtcdPutResult {
  /** Store revision after the Put was applied. */
  readonly revision: number;
  /** Member that answered (decimal uint64). */
  readonly memberId: string;
}

export interface EtcdRangeResult {
  /** Value of the key, undefined when the key does not exist. */
  readonly value: Buffer | undefined;
  readonly revision: number;
}

export interface EtcdStatus {
  readonly endpoint: string;
  /** Decimal uint64 ids: the answering member, and the leader it believes in ("0": none). */
  readonly memberId: string;
  readonly leaderId: string;
  readonly raftTerm: number;
  /** Raft commit index of the answering member (etcd 3.4 reports its committed index here). */
  readonly raftIndex: number;
  /** Raft index the answering member has applied to its store. */
  readonly raftAppliedIndex: number;
  readonly version: string;
}

interface ResponseHeader {
  member_id: string;
  revision: string;
  raft_term: string;
}
interface PutResponse {
  header: ResponseHeader;
}
interface RangeResponse {
  header: ResponseHeader;
  kvs: Array<{ key: Buffer; value: Buffer }>;
}
interface StatusResponse {
  header: ResponseHeader;
  version: string;
  leader: string;
  raftIndex: string;
  raftTerm: string;
  raftAppliedIndex: string;
}

type Callback<Res> = (error: ServiceError | null, response: Res) => void;
type UnaryMethod = (request: object, metadata: Metadata, options: { deadline: Date }, cb: Callback<unknown>) => unknown;

interface EndpointClients {
  readonly kv: Client;
  readonly maintenance: Client;
}

/**
 * Statuses after which another endpoint may succeed. etcd reports "no leader",
 * "leader changed" and "request timed out" as UNAVAILABLE; UNKNOWN covers
 * errors it does not map (e.g. a proposal dropped during an election).
 */
export function isRetryableOnAnotherEtcdEndpoint(code: number): boolean {
  return (
    code === GrpcStatus.UNAVAILABLE ||
    code === GrpcStatus.DEADLINE_EXCEEDED ||
    code === GrpcStatus.CANCELLED ||
    code === GrpcStatus.UNKNOWN
  );
}

function toSafeNumber(decimal: string, field: string): number {
  const value = Number(decimal);
  assert.ok(Number.isSafeInteger(value), `etcd ${field} ${decimal} is a safe integer`);
  return value;
}

let services: { KV: ServiceClientConstructor; Maintenance: ServiceClientConstructor } | undefined;

async function etcdServices(): Promise<NonNullable<typeof services>> {
  if (services !== undefined) return services;
  const { protoFiles } = await ensureEtcd();
  const pkg = loadPackageDefinition(loadEtcdProtos(protoFiles)).etcdserverpb as GrpcObject;
  services = {
    KV: pkg.KV as ServiceClientConstructor,
    Maintenance: pkg.Maintenance as ServiceClientConstructor,
  };
  return services;
}

export class EtcdClient {
  private readonly options: EtcdClientOptions;
  private readonly clients = new Map<string, EndpointClients>();
  /** Index of the endpoint that answered last; attempts start there. */
  private preferred = 0;
  private closed = false;

  private constructor(
    options: EtcdClientOptions,
    private readonly ctors: NonNullable<typeof services>,
  ) {
    this.options = options;
  }

  /** A client of `endpoints`; installs etcd's protos first if needed. */
  static async create(options: Partial<EtcdClientOptions> & { endpoints: readonly string[] }): Promise<EtcdClient> {
    const merged: EtcdClientOptions = { ...DEFAULT_ETCD_CLIENT_OPTIONS, ...options };
    if (merged.endpoints.length === 0) throw new RangeError('endpoints: at least one endpoint is required');
    for (const e of merged.endpoints) {
      if (!/^[^\s:/]+:\d{1,5}$/.test(e)) throw new RangeError(`endpoints: ${JSON.stringify(e)} is not HOST:PORT`);
    }
    if (!(merged.attemptTimeoutMs > 0 && merged.attemptTimeoutMs <= merged.callTimeoutMs)) {
      throw new RangeError(`attemptTimeoutMs: ${merged.attemptTimeoutMs} must be in (0, callTimeoutMs]`);
    }
    return new EtcdClient(merged, await etcdServices());
  }

  get endpoints(): readonly string[] {
    return this.options.endpoints;
  }

  /** Endpoint that answered last. */
  get preferredEndpoint(): string {
    return this.options.endpoints[this.preferred]!;
  }

  /** Makes `endpoint` (one of `endpoints`) the first one tried by the next call. */
  prefer(endpoint: string): void {
    const index = this.options.endpoints.indexOf(endpoint);
    if (index < 0) throw new RangeError(`prefer: ${endpoint} is not one of this client's endpoints`);
    this.preferred = index;
  }

  async put(key: string | Buffer, value: string | Buffer): Promise<EtcdPutResult> {
    const request = { key: Buffer.from(key), value: Buffer.from(value) };
    const response = (await this.call('kv', 'Put', request)) as PutResponse;
    return {
      revision: toSafeNumber(response.header.revision, 'revision'),
      memberId: response.header.member_id,
    };
  }

  /** Reads one key; `serializable` serves it from the contacted member's local state (may be stale). */
  async range(key: string | Buffer, options: { serializable?: boolean } = {}): Promise<EtcdRangeResult> {
    const request = { key: Buffer.from(key), serializable: options.serializable === true };
    const response = (await this.call('kv', 'Range', request)) as RangeResponse;
    assert.ok(response.kvs.length <= 1, 'a single-key Range returns at most one kv');
    return {
      value: response.kvs[0]?.value,
      revision: toSafeNumber(response.header.revision, 'revision'),
    };
  }

  /** Status of exactly `endpoint` (no failover: the answer is about that member). */
  async status(endpoint: string, timeoutMs = this.options.attemptTimeoutMs): Promise<EtcdStatus> {
    const method = this.method(endpoint, 'maintenance', 'Status');
    let response: StatusResponse;
    try {
      response = (await invoke(method, {}, Date.now() + timeoutMs)) as StatusResponse;
    } catch (err) {
      const e = err as ServiceError;
      throw new EtcdRequestError(`etcd Status at ${endpoint} failed: ${e.details || e.message}`, e.code, { cause: e });
    }
    return {
      endpoint,
      memberId: response.header.member_id,
      leaderId: response.leader,
      raftTerm: toSafeNumber(response.raftTerm, 'raftTerm'),
      raftIndex: toSafeNumber(response.raftIndex, 'raftIndex'),
      raftAppliedIndex: toSafeNumber(response.raftAppliedIndex, 'raftAppliedIndex'),
      version: response.version,
    };
  }

  /**
   * Waits (bounded) until the channel of every endpoint is connected, e.g. so
   * a measurement does not include a reconnection after a member restarted.
   */
  async connectAll(timeoutMs: number): Promise<void> {
    const deadline = new Date(Date.now() + timeoutMs);
    const connect = (endpoint: string) =>
      new Promise<void>((resolve, reject) =>
        this.clientsFor(endpoint).kv.waitForReady(deadline, (error) => {
          if (error === undefined || error === null) return resolve();
          const message = `etcd ${endpoint}: not connected within ${timeoutMs} ms`;
          reject(new EtcdRequestError(message, undefined, { cause: error }));
        }),
      );
    await Promise.all(this.options.endpoints.map(connect));
  }

  close(): void {
    this.closed = true;
    for (const { kv } of this.clients.values()) kv.close();
    this.clients.clear();
  }

  private clientsFor(endpoint: string): EndpointClients {
    assert.ok(!this.closed, 'EtcdClient used after close()');
    let clients = this.clients.get(endpoint);
    if (clients === undefined) {
      const kv = new this.ctors.KV(endpoint, credentials.createInsecure(), {
        'grpc.use_local_subchannel_pool': 1,
        'grpc.enable_channelz': 0, // as our client (src/client/endpoints.ts): same client-side cost
        'grpc.initial_reconnect_backoff_ms': 100,
        'grpc.max_reconnect_backoff_ms': 1_000,
      });
      // Maintenance shares the KV channel: one connection per endpoint.
      const maintenance = new this.ctors.Maintenance(endpoint, credentials.createInsecure(), {
        channelOverride: kv.getChannel(),
      });
      clients = { kv, maintenance };
      this.clients.set(endpoint, clients);
    }
    return clients;
  }

  private method(endpoint: string, service: keyof EndpointClients, name: string): UnaryMethod {
    const client = this.clientsFor(endpoint)[service] as unknown as Record<string, UnaryMethod>;
    const method = client[name];
    assert.ok(typeof method === 'function', `etcd ${service} has method ${name}`);
    return method.bind(client);
  }

  /** One unary call with failover over the endpoints (see the file comment). */
  private async call(service: keyof EndpointClients, name: string, request: object): Promise<unknown> {
    const { endpoints, callTimeoutMs, attemptTimeoutMs } = this.options;
    const deadlineMs = Date.now() + callTimeoutMs;
    let lastError: ServiceError | undefined;
    let attempts = 0;
    for (let rotation = 0; Date.now() < deadlineMs; rotation++) {
      for (let i = 0; i < endpoints.length && Date.now() < deadlineMs; i++) {
        const index = (this.preferred + i) % endpoints.length;
        attempts++;
        try {
          const attemptDeadlineMs = Math.min(deadlineMs, Date.now() + attemptTimeoutMs);
          const response = await invoke(this.method(endpoints[index]!, service, name), request, attemptDeadlineMs);
          this.preferred = index;
          return response;
        } catch (err) {
          const e = err as ServiceError;
          if (!isRetryableOnAnotherEtcdEndpoint(e.code)) {
            throw new EtcdRequestError(`etcd ${name} failed: ${e.details || e.message}`, e.code, { cause: e });
          }
          lastError = e;
        }
      }
      const backoffMs = Math.min(this.options.rotationBackoffMsMax, this.options.rotationBackoffMsBase * 2 ** rotation);
      await sleepMs(Math.min(backoffMs, Math.max(0, deadlineMs - Date.now())));
    }
    throw new EtcdRequestError(
      `etcd ${name}: no endpoint of [${endpoints.join(', ')}] answered within ${callTimeoutMs} ms ` +
        `(${attempts} attempts): ${lastError?.details || lastError?.message || 'no attempt finished'}`,
      lastError?.code,
      { cause: lastError },
    );
  }
}

function invoke(method: UnaryMethod, request: object, deadlineMs: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    method(request, new Metadata(), { deadline: new Date(deadlineMs) }, (error, response) =>
      error ? reject(error) : resolve(response),
    );
  });
}
