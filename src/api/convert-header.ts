/**
 * Request headers → what the state machine needs: the exactly-once session
 * of a write (clientId, seq and firstUnackedSeq, Raft dissertation §6.3) and
 * page bounds of a list.
 */
import type { PageRequest } from '../fsm/index.js';
import type { WriteHeader } from '../gen/edgernetes/api/v1/common.js';
import type { CommandBody } from './replica-api.js';
import { invalidArgument } from './status.js';

export type WriteSession = Pick<CommandBody, 'clientId' | 'seq' | 'firstUnackedSeq'>;

/**
 * The session of a write: none (clientId empty, seq 0, no first_unacked_seq)
 * or (clientId, seq >= 1, first_unacked_seq absent or in [1, seq]). An absent
 * first_unacked_seq stays absent: the state machine reads it as seq.
 */
export function session(h: WriteHeader | undefined): WriteSession {
  if (h === undefined || h.clientId === '') {
    if (h !== undefined && h.seq !== 0) throw invalidArgument('header.seq', 'must be 0 when header.client_id is empty');
    if (h?.firstUnackedSeq !== undefined) {
      throw invalidArgument('header.first_unacked_seq', 'must be absent when header.client_id is empty');
    }
    return { clientId: '', seq: 0 };
  }
  if (!Number.isSafeInteger(h.seq) || h.seq < 1) {
    throw invalidArgument('header.seq', `must be at least 1 with a client_id, got ${h.seq}`);
  }
  if (h.firstUnackedSeq === undefined) return { clientId: h.clientId, seq: h.seq };
  const first = h.firstUnackedSeq;
  if (!Number.isSafeInteger(first) || first < 1 || first > h.seq) {
    const problem = `must be in [1, header.seq = ${h.seq}] (this write awaits its own response), got ${first}`;
    throw invalidArgument('header.first_unacked_seq', problem);
  }
  return { clientId: h.clientId, seq: h.seq, firstUnackedSeq: first };
}

/** `limit` 0 and `cursor` "" mean "not given"; the state machine bounds both (field names `limit`, `cursor`). */
export function pageRequest(limit: number, cursor: string): PageRequest {
  return { ...(limit > 0 ? { limit } : {}), ...(cursor !== '' ? { cursor } : {}) };
}

/** A proto `expected_mod_revision` (0 = no condition) as the op field. */
export function expected(modRevision: number): { expectedModRevision?: number } {
  return modRevision === 0 ? {} : { expectedModRevision: modRevision };
}

/** A proto `time_ms` (0 = now): the proposer's clock, read on the replica that proposes. */
export function timeOrNow(timeMs: number): number {
  return timeMs === 0 ? Date.now() : timeMs;
}

/** A proto map as a fresh plain object (own properties only), for the fsm validators. */
export function plainMap(map: Readonly<Record<string, string>> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(map ?? {}));
}
