/** Shared pieces of API responses. */
import type { ResponseHeader } from '../gen/edgernetes/api/v1/common.js';
import { RejectedError, rejectionError, type ApplyResult, type OpResult } from '../fsm/index.js';
import { ApiError } from './status.js';
import { status as Code } from '@grpc/grpc-js';
import type { ReplicaApi } from './replica-api.js';

export function header(replica: ReplicaApi, revision: number): ResponseHeader {
  return { revision, memberId: replica.id, raftTerm: replica.term() };
}

/** The op result of an applied entry, or the rejection as a named error (thrown). */
export function appliedResult<K extends OpResult['kind']>(result: ApplyResult, kind: K): Extract<OpResult, { kind: K }> {
  const outcome = result.outcome;
  if (outcome.status === 'rejected') throw rejectionError(outcome.rejection);
  if (outcome.status !== 'applied' || outcome.result.kind !== kind) {
    throw new ApiError(Code.INTERNAL, `expected a ${kind} result at index ${result.index}, got ${JSON.stringify(outcome)}`);
  }
  return outcome.result as Extract<OpResult, { kind: K }>;
}

export function isRejection(err: unknown, code: string): boolean {
  return err instanceof RejectedError && err.code === code;
}
