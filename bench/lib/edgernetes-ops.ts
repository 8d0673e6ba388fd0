/**
 * The Edgernetes side of the benchmarks' workloads, in the shapes of
 * etcd-ops.ts: ops for the load generator (KV put with the same 16 B keys and
 * 256 B values as etcd's Put; linearizable or stale get), the clients they go
 * through, and the failover target. The loads go through the product's client
 * (EdgernetesClient, with its own endpoint failover), as a user would; the
 * failover writes through the same failover logic with a per-attempt bound
 * (AttemptingWriter says why).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { EdgernetesClient } from '../../src/client/client.js';
import { EndpointSet } from '../../src/client/endpoints.js';
import { ClusterUnavailableError } from '../../src/client/errors.js';
import { KVClient, type PutRequest } from '../../src/gen/edgernetes/api/v1/kv.js';
import type { EdgernetesCluster } from './edgernetes-cluster.js';
import { EdgernetesRequestError } from './edgernetes-errors.js';
import { benchKey } from './etcd-ops.js';
import type { FailoverTarget } from './failover.js';
import type { Op } from './loadgen.js';

/** The KV namespace of every benchmark key (our keys live in a namespace; etcd's do not). */
export const BENCH_NAMESPACE = 'bench';

/** Op: put benchKey(sequence) = value, through clients[sequence % clients.length]. */
export function edgernetesPutOp(clients: readonly EdgernetesClient[], value: Buffer): Op {
  if (clients.length === 0) throw new RangeError('clients: at least one client is required');
  return async ({ sequence }) => {
    await clients[sequence % clients.length]!.put(BENCH_NAMESPACE, benchKey(sequence), value);
  };
}

/**
 * Op: get one of the keys written by `edgernetesPutOp` (preload them first),
 * linearizable (ReadIndex) or `stale` (served from the contacted replica's state).
 */
export function edgernetesGetOp(clients: readonly EdgernetesClient[], options: { stale: boolean }): Op {
  if (clients.length === 0) throw new RangeError('clients: at least one client is required');
  return async ({ sequence }) => {
    await clients[sequence % clients.length]!.get(BENCH_NAMESPACE, benchKey(sequence), { stale: options.stale });
  };
}

/**
 * The clients a load run goes through. EdgernetesClient sends every call to
 * the endpoint that answered last, starting with the first one it was given;
 * so a client built on the endpoints in order from replica k prefers replica k.
 * - `toLeader()`: one client preferring the current leader (the counterpart of
 *   the etcd client's prefer(leader)); rebuilt, outside any measured window,
 *   when leadership has moved since the last run.
 * - `spread`: one client per replica, client k preferring replica k; an op
 *   through clients[sequence % size] spreads the load evenly over all
 *   endpoints, so followers take their share and forward writes to the leader
 *   (what a fleet of clients holding all endpoints does).
 */
export class EdgernetesLoadClients {
  readonly spread: readonly EdgernetesClient[];
  /** Clients preferring the leader: pipelined (the default) and unary (`pipeline: false`). */
  private readonly leaderClients = new Map<boolean, { readonly leader: number; readonly client: EdgernetesClient }>();

  constructor(private readonly cluster: EdgernetesCluster) {
    this.spread = cluster.endpoints.map((_, k) => new EdgernetesClient({ endpoints: cluster.endpointsFrom(k) }));
  }

  /** A client preferring the current leader; `pipeline` false sends every call unary, as etcd's clients do. */
  async toLeader(pipeline = true): Promise<EdgernetesClient> {
    const leader = await this.cluster.leaderIndex();
    let entry = this.leaderClients.get(pipeline);
    if (entry?.leader !== leader) {
      entry?.client.close();
      entry = { leader, client: new EdgernetesClient({ endpoints: this.cluster.endpointsFrom(leader), pipeline }) };
      this.leaderClients.set(pipeline, entry);
    }
    return entry.client;
  }

  close(): void {
    for (const { client } of this.leaderClients.values()) client.close();
    for (const c of this.spread) c.close();
  }
}

export interface AttemptBounds {
  /** Bound on one attempt, which starts at one endpoint. */
  readonly attemptTimeoutMs: number;
  /** Bound on the whole write, all attempts included. */
  readonly callTimeoutMs: number;
}

/**
 * A writer holding all endpoints, with a per-attempt timeout, built from the
 * client library's failover (EndpointSet) and the generated KV client.
 *
 * Why not one EdgernetesClient:
 * - its calls have one deadline and no per-attempt bound, and every call
 *   starts at the endpoint that answered last; when that endpoint goes silent
 *   (an isolated leader: no reset, no refusal) each call spends its whole
 *   deadline there and never tries another endpoint;
 * - each put() takes a new sequence number, so a caller cannot retry a write
 *   that timed out with its sequence number; and a client whose first write
 *   (seq 1) was never applied is refused for good (SessionExpired).
 * So attempts here rotate over one EndpointSet per endpoint (set k starts at
 * endpoint k, then moves on to the others on UNAVAILABLE with the client's own
 * backoff), each call bounded by `attemptTimeoutMs` (the etcd client's
 * per-attempt timeout, so both systems are measured with the same bound),
 * starting with the set that answered last, until one is acknowledged or
 * `callTimeoutMs` has passed. One session (client id) for the writer; every
 * attempt of one write carries the same sequence number, so the state machine
 * applies it once (Raft dissertation §6.3), as the product client intends.
 * Invariant: one write at a time (the failover bench writes one by one).
 */
export class AttemptingWriter {
  private readonly sets: readonly EndpointSet[];
  private readonly clientId = randomUUID();
  private seq = 0;
  private writing = false;
  private preferred: number;

  /** A writer over `cluster`'s endpoints that tries replica `first` first. */
  constructor(
    cluster: EdgernetesCluster,
    first: number,
    private readonly bounds: AttemptBounds,
  ) {
    if (!(bounds.attemptTimeoutMs > 0 && bounds.attemptTimeoutMs <= bounds.callTimeoutMs)) {
      throw new RangeError(`attemptTimeoutMs: ${bounds.attemptTimeoutMs} must be in (0, callTimeoutMs]`);
    }
    this.sets = cluster.endpoints.map((_, k) => new EndpointSet({ endpoints: cluster.endpointsFrom(k) }));
    if (this.sets[first] === undefined) throw new RangeError(`first: ${first} is not a replica index`);
    this.preferred = first;
  }

  /** Puts `key` = `value`; resolves when acknowledged. Refused requests are thrown at once. */
  async put(key: string, value: Buffer): Promise<void> {
    assert.ok(!this.writing, 'AttemptingWriter: one write at a time');
    this.writing = true;
    try {
      await this.attempts({ header: { clientId: this.clientId, seq: ++this.seq }, namespace: BENCH_NAMESPACE, key, value });
    } finally {
      this.writing = false;
    }
  }

  close(): void {
    for (const s of this.sets) s.close();
  }

  private async attempts(request: PutRequest): Promise<void> {
    const deadlineMs = Date.now() + this.bounds.callTimeoutMs;
    let attempts = 0;
    let lastError: unknown;
    for (let leftMs = this.bounds.callTimeoutMs; leftMs > 0; leftMs = deadlineMs - Date.now()) {
      const k = (this.preferred + attempts++) % this.sets.length;
      try {
        await this.sets[k]!.call(KVClient, (c) => c.put, request, Math.min(this.bounds.attemptTimeoutMs, leftMs));
        this.preferred = k;
        return;
      } catch (err) {
        if (!(err instanceof ClusterUnavailableError)) throw err;
        lastError = err;
      }
    }
    throw new EdgernetesRequestError(
      `put ${request.key}: not acknowledged within ${this.bounds.callTimeoutMs} ms (${attempts} attempts of at most ` +
        `${this.bounds.attemptTimeoutMs} ms): ${(lastError as Error | undefined)?.message ?? 'no attempt finished'}`,
      { cause: lastError },
    );
  }
}

/** A FailoverTarget that also owns clients, closed by close(). */
export interface ClosableFailoverTarget extends FailoverTarget {
  close(): void;
}

/**
 * Failover target over an Edgernetes cluster (the counterpart of
 * etcdFailoverTarget). Before each kill, a new AttemptingWriter is built that
 * prefers the leader (the worst case: a client on a follower would not even
 * see the leader die), and one write through it connects its channel to the
 * leader. Its channels to the followers connect on first use, during the
 * measured write (EdgernetesClient has no connect-all call; on loopback a
 * connection costs about a millisecond).
 */
export function edgernetesFailoverTarget(
  cluster: EdgernetesCluster,
  value: Buffer,
  bounds: AttemptBounds,
): ClosableFailoverTarget {
  let sequence = 0;
  let writer: AttemptingWriter | undefined;
  const write = () => writer!.put(benchKey(sequence++), value);
  return {
    async prepare() {
      await cluster.waitHealthy();
      const leader = await cluster.leaderIndex();
      writer?.close();
      writer = new AttemptingWriter(cluster, leader, bounds);
      await write();
      return leader;
    },
    kill: (leader) => cluster.kill(leader),
    write,
    recover: (leader) => cluster.restart(leader),
    close: () => writer?.close(),
  };
}
