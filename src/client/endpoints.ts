/**
 * Unary calls over a set of replica endpoints with failover.
 *
 * Every call has one overall deadline. An attempt goes to the endpoint that last
 * answered; on UNAVAILABLE / DEADLINE_EXCEEDED it moves to the next endpoint,
 * pausing with a bounded exponential backoff after each full rotation. Writes
 * carry (clientId, seq), so a write retried on another endpoint after an
 * indeterminate failure is applied at most once by the state machine.
 */
import { credentials, Metadata, status as GrpcStatus, type Client, type ServiceError } from '@grpc/grpc-js';
import { ClusterUnavailableError, isRetryableOnAnotherEndpoint, RequestError } from './errors.js';

export interface EndpointSetOptions {
  readonly endpoints: readonly string[];
  /** Upper bound on one whole call, retries included. */
  readonly callTimeoutMs: number;
  /**
   * Upper bound on one attempt at one endpoint. A replica that is cut off (isolated, paused)
   * answers nothing at all; without this bound the whole call would wait on it.
   */
  readonly attemptTimeoutMs: number;
  /** Backoff after a full rotation over all endpoints: base, doubled each rotation, capped. */
  readonly rotationBackoffMsBase: number;
  readonly rotationBackoffMsMax: number;
}

export const DEFAULT_ENDPOINT_OPTIONS: Omit<EndpointSetOptions, 'endpoints'> = {
  callTimeoutMs: 5_000,
  attemptTimeoutMs: 1_000,
  rotationBackoffMsBase: 25,
  rotationBackoffMsMax: 400,
};

type ClientCtor<C> = new (address: string, creds: ReturnType<typeof credentials.createInsecure>, options?: object) => C;

/** Per-attempt callback style of generated grpc-js clients. */
export type UnaryMethod<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: { deadline: Date },
  callback: (error: ServiceError | null, response: Res) => void,
) => unknown;

export class EndpointSet {
  private readonly options: EndpointSetOptions;
  private preferred = 0;
  /** Per service constructor (generated constructors share one `name`), per endpoint. */
  private readonly clients = new Map<Function, Map<string, Client>>();

  constructor(options: Partial<EndpointSetOptions> & { endpoints: readonly string[] }) {
    if (options.endpoints.length === 0) throw new RangeError('endpoints: at least one endpoint is required');
    if (options.attemptTimeoutMs !== undefined && !(options.attemptTimeoutMs > 0)) {
      throw new RangeError(`attemptTimeoutMs: must be positive, got ${options.attemptTimeoutMs}`);
    }
    for (const e of options.endpoints) {
      if (!/^[^\s:]+:\d{1,5}$/.test(e)) throw new RangeError(`endpoints: ${JSON.stringify(e)} is not HOST:PORT`);
    }
    this.options = { ...DEFAULT_ENDPOINT_OPTIONS, ...options };
  }

  get endpoints(): readonly string[] {
    return this.options.endpoints;
  }

  /** A client of service `Ctor` for `endpoint`, cached; each endpoint gets its own channel. */
  clientFor<C extends Client>(Ctor: ClientCtor<C>, endpoint: string): C {
    let byEndpoint = this.clients.get(Ctor);
    if (byEndpoint === undefined) this.clients.set(Ctor, (byEndpoint = new Map()));
    let client = byEndpoint.get(endpoint) as C | undefined;
    if (client === undefined) {
      client = new Ctor(endpoint, credentials.createInsecure(), {
        'grpc.use_local_subchannel_pool': 1,
        // Channelz keeps per-call statistics nobody reads here; it costs CPU on every call.
        'grpc.enable_channelz': 0,
        'grpc.initial_reconnect_backoff_ms': 100,
        'grpc.max_reconnect_backoff_ms': 1_000,
      });
      byEndpoint.set(endpoint, client);
    }
    return client;
  }

  /**
   * Call `pick(client)` with failover. Errors that another endpoint cannot fix
   * (INVALID_ARGUMENT, NOT_FOUND, FAILED_PRECONDITION, ...) are thrown at once.
   */
  call<C extends Client, Req, Res>(
    Ctor: ClientCtor<C>,
    pick: (client: C) => UnaryMethod<Req, Res>,
    request: Req,
    timeoutMs = this.options.callTimeoutMs,
  ): Promise<Res> {
    return this.withFailover(timeoutMs, (endpoint, attemptDeadlineMs) => {
      const client = this.clientFor(Ctor, endpoint);
      return invokeUnary(pick(client).bind(client), request, attemptDeadlineMs);
    });
  }

  /**
   * Runs `attempt` at one endpoint after another until one succeeds, as call()
   * does for a unary method. `attempt` must settle by its deadline and fail
   * with an error carrying a gRPC `code` (and `details`). Past the deadline it
   * throws ClusterUnavailableError caused by the last answer a replica gave
   * (its code), or by the last attempt that timed out when none answered.
   */
  async withFailover<Res>(
    timeoutMs: number | undefined,
    attempt: (endpoint: string, attemptDeadlineMs: number) => Promise<Res>,
  ): Promise<Res> {
    timeoutMs ??= this.options.callTimeoutMs;
    const deadlineMs = Date.now() + timeoutMs;
    const endpoints = this.options.endpoints;
    let lastError: unknown = null;
    let attempts = 0;
    for (let rotation = 0; Date.now() < deadlineMs; rotation++) {
      for (let i = 0; i < endpoints.length && Date.now() < deadlineMs; i++) {
        const index = (this.preferred + i) % endpoints.length;
        attempts++;
        try {
          const attemptDeadlineMs = Math.min(deadlineMs, Date.now() + this.options.attemptTimeoutMs);
          const response = await attempt(endpoints[index]!, attemptDeadlineMs);
          this.preferred = index;
          return response;
        } catch (err) {
          const e = err as Pick<ServiceError, 'code' | 'details' | 'message'>;
          if (!isRetryableOnAnotherEndpoint(e.code)) throw new RequestError(e.details || e.message, e.code, { cause: e });
          // What a replica answered (UNAVAILABLE: no leader, no quorum, ...) says more than an
          // attempt our own deadline cut short, which a slow answer near the deadline can be.
          if (lastError === null || e.code !== GrpcStatus.DEADLINE_EXCEEDED) lastError = err;
        }
      }
      const backoffMs = Math.min(this.options.rotationBackoffMsMax, this.options.rotationBackoffMsBase * 2 ** rotation);
      await sleep(Math.min(backoffMs, Math.max(0, deadlineMs - Date.now())));
    }
    throw new ClusterUnavailableError(endpoints, attempts, lastError ?? new Error(`deadline of ${timeoutMs} ms passed`));
  }

  close(): void {
    for (const byEndpoint of this.clients.values()) for (const client of byEndpoint.values()) client.close();
    this.clients.clear();
  }
}

/** One unary call with a deadline (epoch ms), as a promise. */
export function invokeUnary<Req, Res>(method: UnaryMethod<Req, Res>, request: Req, deadlineMs: number): Promise<Res> {
  return new Promise((resolve, reject) => {
    method(request, new Metadata(), { deadline: new Date(deadlineMs) }, (error, response) =>
      error ? reject(error) : resolve(response),
    );
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
