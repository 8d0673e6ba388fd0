/**
 * Fault injection for chaos and multi-process tests: the environment variable
 * EDGERNETES_TRANSPORT_FAULTS sets rules on the peer transport's fault points
 * (src/raft/transport/faults.ts) when the replica starts. Unset or empty: no
 * rule, and the transport's fault path costs nothing. Not a flag on purpose:
 * it is for testing, never for running a cluster.
 *
 * Grammar: RULE[;RULE...] with RULE = DIRECTION:PEER[,PEER...]:FAULT,
 *   DIRECTION = inbound | outbound | both   (seen from this replica)
 *   FAULT     = blackhole | drop=P (0 <= P <= 1) | delay=MS (integer)
 * e.g. `inbound:n1,n2:blackhole` — this replica hears nothing from n1 and n2
 * (it still accepts or refuses their streams; only messages are discarded).
 */
import type { FaultDirection, FaultPoints, FaultRule } from '../raft/transport/index.js';
import { nodeId, type NodeId } from '../raft/core/types.js';

export const TRANSPORT_FAULTS_ENV = 'EDGERNETES_TRANSPORT_FAULTS';

/** Rules beyond this are refused (a typo, not a test plan). */
const RULES_MAX = 64;
const PEER_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;

export interface TransportFaultSetting {
  readonly direction: FaultDirection | 'both';
  readonly peers: readonly NodeId[];
  readonly rule: Partial<FaultRule>;
}

export class TransportFaultsError extends Error {
  constructor(rule: string, problem: string) {
    super(`${TRANSPORT_FAULTS_ENV}: ${JSON.stringify(rule)}: ${problem}`);
    this.name = 'TransportFaultsError';
  }
}

export function parseTransportFaults(text: string): TransportFaultSetting[] {
  const rules = text.split(';').map((r) => r.trim()).filter((r) => r !== '');
  if (rules.length > RULES_MAX) throw new TransportFaultsError(text, `more than ${RULES_MAX} rules`);
  return rules.map(parseRule);
}

export function applyTransportFaults(faults: FaultPoints, settings: readonly TransportFaultSetting[]): void {
  for (const setting of settings) for (const peer of setting.peers) faults.set(peer, setting.rule, setting.direction);
}

function parseRule(text: string): TransportFaultSetting {
  const parts = text.split(':');
  if (parts.length !== 3) throw new TransportFaultsError(text, 'is not DIRECTION:PEER[,PEER...]:FAULT');
  const [direction, peerList, fault] = parts as [string, string, string];
  if (direction !== 'inbound' && direction !== 'outbound' && direction !== 'both') {
    throw new TransportFaultsError(text, `direction ${JSON.stringify(direction)} is not inbound, outbound or both`);
  }
  const peers = peerList.split(',').map((p) => p.trim());
  for (const peer of peers) if (!PEER_ID.test(peer)) throw new TransportFaultsError(text, `${JSON.stringify(peer)} is not a member id`);
  return { direction, peers: peers.map(nodeId), rule: parseFault(text, fault) };
}

function parseFault(text: string, fault: string): Partial<FaultRule> {
  if (fault === 'blackhole') return { blackhole: true };
  const [kind, value = ''] = fault.split('=');
  const number = value.trim() === '' ? Number.NaN : Number(value);
  if (kind === 'drop' && number >= 0 && number <= 1) return { dropProbability: number };
  if (kind === 'delay' && Number.isSafeInteger(number) && number >= 0) return { delayMs: number };
  throw new TransportFaultsError(text, `fault ${JSON.stringify(fault)} is not blackhole, drop=P (0..1) or delay=MS`);
}
