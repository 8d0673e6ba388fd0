/**
 * The Edgernetes client library: used by edgectl, agents, benchmarks and the
 * chaos suite. One client = one clientId; every distinct write takes the next
 * sequence number, and retries of that write (after failover) reuse it, so the
 * state machine applies it once (Raft dissertation §6.3). Writes may be issued
 * concurrently: up to `writesInFlightMax` are in flight at once, the rest wait
 * their turn (see write-queue.ts).
 */
import {
  ClusterClient,
  type AddMemberResponse,
  type RemoveMemberResponse,
  type StatusResponse,
  type TransferLeaderResponse,
  type SnapshotResponse,
} from '../gen/edgernetes/api/v1/cluster.js';
import {
  type CompareAndSwapResponse,
  type DeleteResponse,
  type GetResponse,
  type PutResponse,
  type RangeResponse,
} from '../gen/edgernetes/api/v1/kv.js';
import { EndpointSet, type EndpointSetOptions } from './endpoints.js';
import { KvCalls } from './kv-calls.js';
import { WriteQueue, type WriteQueueOptions } from './write-queue.js';

export interface ClientOptions extends Partial<EndpointSetOptions>, WriteQueueOptions {
  readonly endpoints: readonly string[];
  /**
   * KV calls as messages on one stream per endpoint (the Pipeline service), not
   * one unary call each: same answers and errors, far less CPU per call on both
   * ends. Default true; replicas without the service get unary calls anyway.
   */
  readonly pipeline?: boolean;
}

export interface ReadOptions {
  /** Serve from the contacted replica's local state (may be stale). Default: linearizable. */
  readonly stale?: boolean;
  readonly timeoutMs?: number;
}

export interface WriteOptions {
  /** Bound on the call once the write is sent (it may first wait for room among the writes in flight). */
  readonly timeoutMs?: number;
}

/** What the key must hold for the swap: a value, absence, or a mod revision (0 = absent). */
export type CasExpectation = { readonly value: Uint8Array } | { readonly absent: true } | { readonly modRevision: number };

export class EdgernetesClient {
  private readonly endpointSet: EndpointSet;
  private readonly writes: WriteQueue;
  private readonly kv: KvCalls;

  /** Throws RangeError naming the option that is out of bounds. */
  constructor(options: ClientOptions) {
    this.endpointSet = new EndpointSet(options);
    this.kv = new KvCalls(this.endpointSet, options.pipeline ?? true);
    const { clientId, writesInFlightMax, writesQueuedMax } = options;
    this.writes = new WriteQueue({ clientId, writesInFlightMax, writesQueuedMax });
  }

  get clientId(): string {
    return this.writes.clientId;
  }

  get endpoints(): readonly string[] {
    return this.endpointSet.endpoints;
  }

  /** Rejects with WriteQueueFullError when writesQueuedMax writes already wait. */
  put(namespace: string, key: string, value: Uint8Array, options: WriteOptions = {}): Promise<PutResponse> {
    return this.writes.run((header) => {
      const request = { header, namespace, key, value: Buffer.from(value) };
      return this.kv.call('put', request, options.timeoutMs);
    });
  }

  get(namespace: string, key: string, options: ReadOptions = {}): Promise<GetResponse> {
    const request = { header: { stale: options.stale ?? false }, namespace, key };
    return this.kv.call('get', request, options.timeoutMs);
  }

  range(namespace: string, prefix: string, limit = 0, cursor = '', options: ReadOptions = {}): Promise<RangeResponse> {
    const request = { header: { stale: options.stale ?? false }, namespace, prefix, limit, cursor };
    return this.kv.call('range', request, options.timeoutMs);
  }

  /** Deletes `key`, or with `prefix` up to `limit` keys starting with it (repeat while `more`). */
  delete(namespace: string, key: string, prefix = false, limit = 0, options: WriteOptions = {}): Promise<DeleteResponse> {
    return this.writes.run((header) => {
      const request = { header, namespace, key, prefix, limit };
      return this.kv.call('delete', request, options.timeoutMs);
    });
  }

  /** Sets `key` to `value` (null deletes it) if `expect` holds; `swapped` says whether it did. */
  compareAndSwap(
    namespace: string,
    key: string,
    expect: CasExpectation,
    value: Uint8Array | null,
    options: WriteOptions = {},
  ): Promise<CompareAndSwapResponse> {
    const body = {
      namespace,
      key,
      value: Buffer.from(value ?? new Uint8Array(0)),
      delete: value === null,
      expect:
        'value' in expect
          ? { $case: 'expectValue' as const, value: Buffer.from(expect.value) }
          : 'absent' in expect
            ? { $case: 'expectAbsent' as const, value: true }
            : { $case: 'expectModRevision' as const, value: expect.modRevision },
    };
    return this.writes.run((header) => this.kv.call('compareAndSwap', { header, ...body }, options.timeoutMs));
  }

  /** Every member's role and indexes (the answering replica asks the others); `localOnly` asks just one. */
  clusterStatus(options: ReadOptions & { localOnly?: boolean } = {}): Promise<StatusResponse> {
    return this.endpointSet.call(ClusterClient, (c) => c.status, { localOnly: options.localOnly ?? false }, options.timeoutMs);
  }

  /** Adds a replica as a learner; the leader promotes it to voter once caught up. */
  addMember(id: string, address: string, options: WriteOptions & { rejoin?: boolean } = {}): Promise<AddMemberResponse> {
    return this.endpointSet.call(ClusterClient, (c) => c.addMember, { id, address, rejoin: options.rejoin ?? false }, options.timeoutMs);
  }

  removeMember(id: string, options: WriteOptions = {}): Promise<RemoveMemberResponse> {
    return this.endpointSet.call(ClusterClient, (c) => c.removeMember, { id }, options.timeoutMs);
  }

  transferLeader(to = '', options: WriteOptions = {}): Promise<TransferLeaderResponse> {
    return this.endpointSet.call(ClusterClient, (c) => c.transferLeader, { to }, options.timeoutMs);
  }

  snapshot(options: WriteOptions = {}): Promise<SnapshotResponse> {
    return this.endpointSet.call(ClusterClient, (c) => c.snapshot, {}, options.timeoutMs);
  }

  close(): void {
    this.kv.close();
    this.endpointSet.close();
  }
}
