/**
 * Minimal authentication of an inbound call: the caller names itself, the
 * callee and the cluster in request metadata; the caller must be a configured
 * peer, the callee this replica, the cluster ours. (Not proof of identity —
 * transport security is out of scope — but it stops misrouted and stale
 * connections, e.g. a peer still holding an old address map, or a process of
 * another cluster that reused a port.) Every message is checked again.
 */
import * as grpc from '@grpc/grpc-js';
import type { NodeId } from '../core/types.js';
import { InboundRejectedError } from './errors.js';
import { CLUSTER_HEADER, FROM_HEADER, TO_HEADER } from './grpc-service.js';
import { statementTrailers, type MembershipOracle } from './refusal.js';

export type AuthOutcome =
  | { readonly ok: true; readonly peer: NodeId }
  | { readonly ok: false; readonly error: InboundRejectedError; readonly status: grpc.status };

export interface AuthContext {
  readonly selfId: NodeId;
  readonly clusterId: string;
  isPeer(id: string): boolean;
}

export function authenticateCall(metadata: grpc.Metadata, ctx: AuthContext): AuthOutcome {
  const from = headerValue(metadata, FROM_HEADER);
  const to = headerValue(metadata, TO_HEADER);
  const cluster = headerValue(metadata, CLUSTER_HEADER) ?? '';
  if (cluster !== ctx.clusterId) {
    return refuse('wrong-target', grpc.status.FAILED_PRECONDITION, `call for cluster "${cluster}"`);
  }
  if (to !== ctx.selfId) {
    return refuse('wrong-target', grpc.status.FAILED_PRECONDITION, `call for "${to ?? ''}" reached ${ctx.selfId}`);
  }
  if (from === null || !ctx.isPeer(from)) {
    return refuse('unknown-peer', grpc.status.PERMISSION_DENIED, `call from unknown peer "${from ?? ''}"`);
  }
  return { ok: true, peer: from as NodeId };
}

function headerValue(metadata: grpc.Metadata, key: string): string | null {
  const values = metadata.get(key);
  return values.length === 1 && typeof values[0] === 'string' ? values[0] : null;
}

function refuse(reason: 'wrong-target' | 'unknown-peer', status: grpc.status, detail: string): AuthOutcome {
  return { ok: false, error: new InboundRejectedError(reason, detail), status };
}

/** What admitCall needs from the receiving side (stream or snapshot server). */
export interface AdmitDeps {
  readonly config: { readonly selfId: NodeId; readonly clusterId: string };
  isPeer(id: string): boolean;
  accepting(): boolean;
  reject(peer: NodeId | null, error: InboundRejectedError): void;
  /** What our configuration says about a caller refused as unknown (sent as trailers; see refusal.ts). */
  readonly membership?: MembershipOracle;
}

/**
 * The prologue of every inbound call: authenticate it and check we are
 * accepting calls. Answers refused calls itself (via `respond`) and returns
 * null for them; otherwise returns the calling peer.
 */
export function admitCall<R>(metadata: grpc.Metadata, deps: AdmitDeps, respond: grpc.sendUnaryData<R>, notRunning: string): NodeId | null {
  const auth = authenticateCall(metadata, { ...deps.config, isPeer: (id) => deps.isPeer(id) });
  if (!auth.ok) {
    deps.reject(null, auth.error);
    respond({ code: auth.status, details: auth.error.message, metadata: refusalTrailers(metadata, auth, deps) });
    return null;
  }
  if (!deps.accepting()) {
    respond({ code: grpc.status.UNAVAILABLE, details: notRunning });
    return null;
  }
  return auth.peer;
}

/** Trailers for a caller refused as an unknown peer: what our configuration says about it (else none). */
function refusalTrailers(metadata: grpc.Metadata, auth: Extract<AuthOutcome, { ok: false }>, deps: AdmitDeps): grpc.Metadata {
  const from = headerValue(metadata, FROM_HEADER);
  if (auth.error.reason !== 'unknown-peer' || from === null || deps.membership === undefined) return new grpc.Metadata();
  const statement = deps.membership(from as NodeId);
  return statement === null ? new grpc.Metadata() : statementTrailers(statement);
}
