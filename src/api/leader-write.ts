/**
 * The write path shared by the Nodes, Models and Deployments services: a
 * validated op is proposed on this replica when it leads, and the call is
 * forwarded (one hop, same deadline) otherwise. The answer is built only from
 * the applied result, so the caller learns the outcome of its own write; a
 * rejection becomes its named error through appliedResult().
 */
import type { ChannelCredentials, Client } from '@grpc/grpc-js';
import type { ApplyResult, Op } from '../fsm/index.js';
import type { WriteHeader } from '../gen/edgernetes/api/v1/common.js';
import type { CallContext } from './call.js';
import { session } from './convert-header.js';
import type { ReplicaApi } from './replica-api.js';

type ClientCtor<C> = new (address: string, credentials: ChannelCredentials, options?: object) => C;

/** A write request: carries the exactly-once header. */
export interface WriteRequest {
  readonly header?: WriteHeader | undefined;
}

export type LeaderWrite<C> = <Req extends WriteRequest, Res>(
  method: (client: C) => Function,
  request: Req,
  context: CallContext,
  op: Op,
  answer: (result: ApplyResult) => Res,
) => Promise<Res>;

/** A writer for one service: `method` picks the same RPC on the leader's client when forwarding. */
export function leaderWrite<C extends Client>(replica: ReplicaApi, Ctor: ClientCtor<C>): LeaderWrite<C> {
  return async (method, request, context, op, answer) => {
    if (!replica.isLeader()) return replica.forwardToLeader(Ctor, method, request, context);
    // The session is checked before proposing, so a bad header is INVALID_ARGUMENT, not a rejection.
    const body = { ...session(request.header), op };
    return answer(await replica.write(body, context));
  };
}
