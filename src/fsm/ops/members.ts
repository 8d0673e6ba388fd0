/**
 * Membership: ConfChange entries recorded as members (id → address, role) so
 * the transport and the Cluster API know every replica's address.
 *
 * The Raft core changes its configuration whatever this records; here a
 * change that cannot be recorded (an unknown member, a missing or malformed
 * address) is a deterministic rejection, the same on every replica. The
 * address comes from the change's context: UTF-8 JSON {"address": "host:port"}.
 */
import { ConfChangeType, type ConfChange } from '../../raft/core/types.js';
import type { CommandTxn } from '../batch.js';
import { ValidationError } from '../errors.js';
import { memberKey } from '../keys.js';
import { validateAddress, type Member, type MemberRole } from '../types.js';
import { ok, reject, type OpOutcome } from './common.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The address in a conf change context, null when absent, or a ValidationError. */
function contextAddress(context: Uint8Array | undefined): string | null {
  if (context === undefined || context.byteLength === 0) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(utf8.decode(context));
  } catch {
    throw new ValidationError('context', 'must be UTF-8 JSON {"address": "host:port"}');
  }
  if (typeof parsed !== 'object' || parsed === null || !Object.hasOwn(parsed, 'address')) {
    throw new ValidationError('context.address', 'is required');
  }
  return validateAddress((parsed as { address: unknown }).address, 'context.address');
}

function putMember(txn: CommandTxn, member: Member): void {
  const record: Member = { id: member.id, address: member.address, role: member.role };
  txn.put(memberKey(member.id), record);
  txn.emit({ kind: 'member', type: 'put', key: member.id, value: record });
}

function addMember(txn: CommandTxn, change: ConfChange, role: MemberRole): OpOutcome {
  let address: string | null;
  try {
    address = contextAddress(change.context);
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    return reject('Invalid', err.message, { field: err.field });
  }
  const existing = txn.getRecord<Member>(memberKey(change.nodeId));
  const resolved = address ?? existing?.address;
  if (resolved === undefined) {
    return reject('Invalid', `new member ${change.nodeId} needs an address in the change context`, {
      field: 'context.address',
    });
  }
  if (existing === undefined || existing.address !== resolved || existing.role !== role) {
    putMember(txn, { id: change.nodeId, address: resolved, role });
  }
  return ok({ kind: 'member.add', id: change.nodeId, role });
}

export async function applyConfChange(txn: CommandTxn, change: ConfChange): Promise<OpOutcome> {
  switch (change.type) {
    case ConfChangeType.AddVoter:
      return addMember(txn, change, 'voter');
    case ConfChangeType.AddLearner:
      return addMember(txn, change, 'learner');
    case ConfChangeType.PromoteLearner: {
      const existing = txn.getRecord<Member>(memberKey(change.nodeId));
      if (existing === undefined)
        return reject('NotFound', `member ${change.nodeId} is not recorded`, { field: 'nodeId' });
      if (existing.role !== 'voter') putMember(txn, { ...existing, role: 'voter' });
      return ok({ kind: 'member.promote', id: change.nodeId });
    }
    case ConfChangeType.RemoveNode: {
      if (txn.get(memberKey(change.nodeId)) === undefined) {
        return reject('NotFound', `member ${change.nodeId} is not recorded`, { field: 'nodeId' });
      }
      txn.del(memberKey(change.nodeId));
      txn.emit({ kind: 'member', type: 'delete', key: change.nodeId });
      return ok({ kind: 'member.remove', id: change.nodeId });
    }
  }
}
