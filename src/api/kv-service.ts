/**
 * The KV gRPC service: a small namespaced key-value store replicated through
 * Raft. Writes go to the leader (forwarded when received by a follower) and
 * answer once applied; reads are linearizable unless `header.stale`.
 */

import type { KvMethod, KvMethods } from '../client/kv-calls.js';
import {
  type CompareAndSwapRequest,
  type CompareAndSwapResponse,
  type DeleteRequest,
  type DeleteResponse,
  type GetRequest,
  type GetResponse,
  type KVServer,
  type PutRequest,
  type PutResponse,
  type RangeRequest,
  type RangeResponse,
} from '../gen/edgernetes/api/v1/kv.js';
import { unary, type CallDefaults, type CallContext, type UnaryHandler } from './call.js';
import type { ReplicaApi } from './replica-api.js';
import { appliedResult, header } from './responses.js';
import { invalidArgument } from './status.js';
import { session } from './convert-header.js';
import { toKeyValue } from './convert-watch.js';

/** Keys deleted by one prefix delete when the caller gives no limit. */
const DELETE_RANGE_LIMIT_DEFAULT = 1000;

function casExpectation(request: CompareAndSwapRequest) {
  const expect = request.expect;
  if (expect === undefined) throw invalidArgument('expect', 'one of expect_value, expect_absent or expect_mod_revision is required');
  switch (expect.$case) {
    case 'expectValue':
      return { kind: 'value' as const, value: new Uint8Array(expect.value) };
    case 'expectAbsent':
      return { kind: 'value' as const, value: null };
    case 'expectModRevision':
      return { kind: 'modRevision' as const, modRevision: expect.value };
  }
}

/** The KV calls as async functions: served by the unary service below and by the Pipeline service. */
export interface KvHandlers {
  readonly put: UnaryHandler<PutRequest, PutResponse>;
  readonly get: UnaryHandler<GetRequest, GetResponse>;
  readonly range: UnaryHandler<RangeRequest, RangeResponse>;
  readonly delete: UnaryHandler<DeleteRequest, DeleteResponse>;
  readonly compareAndSwap: UnaryHandler<CompareAndSwapRequest, CompareAndSwapResponse>;
}

export function kvService(handlers: KvHandlers, defaults: CallDefaults): KVServer {
  return {
    put: unary(defaults, handlers.put),
    get: unary(defaults, handlers.get),
    range: unary(defaults, handlers.range),
    delete: unary(defaults, handlers.delete),
    compareAndSwap: unary(defaults, handlers.compareAndSwap),
  };
}

export function kvHandlers(replica: ReplicaApi): KvHandlers {
  /** Runs `write` here on the leader, or forwards the request to it. */
  const onLeader = <M extends KvMethod>(method: M, request: KvMethods[M][0], context: CallContext, write: () => Promise<KvMethods[M][1]>) =>
    replica.isLeader() ? write() : replica.forwardKv(method, request, context);

  return {
    put: (request, context) =>
      onLeader('put', request, context, async () => {
        const op = { kind: 'kv.put' as const, namespace: request.namespace, key: request.key, value: new Uint8Array(request.value) };
        const result = await replica.write({ ...session(request.header), op }, context);
        const r = appliedResult(result, 'kv.put');
        return {
          header: header(replica, result.revision),
          createRevision: r.createRevision,
          modRevision: r.modRevision,
          version: r.version,
          prevModRevision: r.prevModRevision,
        };
      }),

    delete: (request, context) =>
      onLeader('delete', request, context, async () => {
        const s = session(request.header);
        if (request.prefix) {
          const limit = request.limit === 0 ? DELETE_RANGE_LIMIT_DEFAULT : request.limit;
          const op = { kind: 'kv.deleteRange' as const, namespace: request.namespace, prefix: request.key, limit };
          const result = await replica.write({ ...s, op }, context);
          const r = appliedResult(result, 'kv.deleteRange');
          return { header: header(replica, result.revision), deleted: r.deleted, more: r.more };
        }
        const op = { kind: 'kv.delete' as const, namespace: request.namespace, key: request.key };
        const result = await replica.write({ ...s, op }, context);
        const r = appliedResult(result, 'kv.delete');
        return { header: header(replica, result.revision), deleted: r.deleted ? 1 : 0, more: false };
      }),

    compareAndSwap: (request, context) =>
      onLeader('compareAndSwap', request, context, async () => {
        const op = {
          kind: 'kv.cas' as const,
          namespace: request.namespace,
          key: request.key,
          expect: casExpectation(request),
          value: request.delete ? null : new Uint8Array(request.value),
        };
        const result = await replica.write({ ...session(request.header), op }, context);
        const outcome = result.outcome;
        // A failed comparison is an answer, not an error: the caller asked a question.
        if (outcome.status === 'rejected' && outcome.rejection.code === 'CasMismatch') {
          return { header: header(replica, result.revision), swapped: false, modRevision: 0 };
        }
        const r = appliedResult(result, 'kv.cas');
        return { header: header(replica, result.revision), swapped: true, modRevision: r.modRevision };
      }),

    get: async (request, context) => {
      const { value, revision } = await replica.read(request.header?.stale ?? false, context, (view) =>
        view.kvGet(request.namespace, request.key),
      );
      return { header: header(replica, revision), found: value !== undefined, kv: value === undefined ? undefined : toKeyValue(value) };
    },

    range: async (request, context) => {
      const page = { ...(request.limit > 0 ? { limit: request.limit } : {}), ...(request.cursor !== '' ? { cursor: request.cursor } : {}) };
      const { value, revision } = await replica.read(request.header?.stale ?? false, context, (view) =>
        view.kvRange(request.namespace, request.prefix, page),
      );
      return { header: header(replica, revision), kvs: value.items.map(toKeyValue), nextCursor: value.nextCursor ?? '' };
    },
  };
}

