/**
 * Applying committed entries to the staged batch: decoding, sessions (see
 * sessions.ts: duplicates answered, stale seqs refused, the rest applied once),
 * running ops in a command transaction, advancing the revision and the change
 * log. Pure with respect to time and randomness: the same entries on the same
 * state give the same writes and results on every replica, whatever the batch
 * boundaries.
 */
import { ConfChangeDecodeError, decodeConfChange } from '../raft/core/confchange-codec.js';
import { assert } from '../raft/core/errors.js';
import { EntryType, type Entry } from '../raft/core/types.js';
import { BatchWrites, CommandTxn } from './batch.js';
import type { ChangeLogSizes } from './changelog-sizes.js';
import { appendChangeRecord } from './changelog.js';
import { decodeCommand, type DecodedCommand } from './codec.js';
import { rejection, type Rejection } from './errors.js';
import type { WatchEvent } from './events.js';
import type { MetaState } from './meta.js';
import type { OpOutcome } from './ops/common.js';
import type { OwnProposals } from './own-proposals.js';
import { SESSION_RESULTS_MAX } from './limits.js';
import { runOp } from './ops/dispatch.js';
import { applyConfChange } from './ops/members.js';
import type { ApplyResult, EntryOutcome } from './results.js';
import type { SessionTable } from './sessions.js';

export interface ApplyContext {
  readonly batch: BatchWrites;
  /** Working copy of the meta record; becomes the committed one after the batch is written. */
  readonly meta: MetaState;
  readonly sessions: SessionTable;
  /** Events of this batch, for live watchers once the batch is durable. */
  readonly events: WatchEvent[];
  /** Sizes of the newest change-log records (changelog-sizes.ts). */
  readonly changeLogSizes: ChangeLogSizes;
  /** Commands this replica proposed, already validated (own-proposals.ts). */
  readonly ownProposals: OwnProposals;
}

export async function applyEntry(ctx: ApplyContext, entry: Entry): Promise<ApplyResult> {
  assert(entry.index === ctx.meta.appliedIndex + 1, `entry ${entry.index} follows applied ${ctx.meta.appliedIndex}`);
  assert(entry.term >= ctx.meta.appliedTerm, `entry term ${entry.term} >= applied term ${ctx.meta.appliedTerm}`);
  const result = await applyEntryBody(ctx, entry);
  ctx.meta.appliedIndex = entry.index;
  ctx.meta.appliedTerm = entry.term;
  return result;
}

async function applyEntryBody(ctx: ApplyContext, entry: Entry): Promise<ApplyResult> {
  switch (entry.type) {
    case EntryType.Normal:
      if (entry.data.byteLength === 0) return plain(ctx, entry, { status: 'noop' });
      return applyCommand(ctx, entry);
    case EntryType.ConfChange: {
      let change;
      try {
        change = decodeConfChange(entry.data);
      } catch (err) {
        if (!(err instanceof ConfChangeDecodeError)) throw err;
        return rejected(ctx, entry, rejection('Invalid', err.message, { field: 'confChange' }));
      }
      return plain(ctx, entry, await inTransaction(ctx, (txn) => applyConfChange(txn, change)));
    }
    default:
      return rejected(ctx, entry, rejection('Invalid', `unknown entry type ${String(entry.type)}`, { field: 'type' }));
  }
}

function plain(ctx: ApplyContext, entry: Entry, outcome: EntryOutcome): ApplyResult {
  return { index: entry.index, revision: ctx.meta.revision, outcome, duplicate: false };
}

function rejected(ctx: ApplyContext, entry: Entry, reason: Rejection): ApplyResult {
  return plain(ctx, entry, { status: 'rejected', rejection: reason });
}

async function applyCommand(ctx: ApplyContext, entry: Entry): Promise<ApplyResult> {
  const own = ctx.ownProposals.take(entry.data);
  const decoded: DecodedCommand = own === undefined ? decodeCommand(entry.data) : { ok: true, command: own };
  if (!decoded.ok) return rejected(ctx, entry, decoded.rejection);
  const { clientId, seq, op } = decoded.command;
  if (clientId === '') return plain(ctx, entry, await inTransaction(ctx, (txn) => runOp(txn, op)));
  const verdict = ctx.sessions.check(ctx.batch, clientId, seq);
  if (verdict.kind === 'duplicate') {
    return { index: entry.index, revision: verdict.result.revision, outcome: verdict.result.outcome, duplicate: true };
  }
  if (verdict.kind === 'stale') {
    const { floorSeq } = verdict;
    const message =
      `client ${clientId} sent seq ${seq}, below its session's floor ${floorSeq} (the client acknowledged ` +
      `that answer, or it was dropped after ${SESSION_RESULTS_MAX} newer ones); not applied`;
    return rejected(ctx, entry, rejection('StaleSequence', message, { field: 'seq', details: { seq, floorSeq } }));
  }
  const outcome = await inTransaction(ctx, (txn) => runOp(txn, op));
  const firstUnackedSeq = decoded.command.firstUnackedSeq ?? seq;
  const applied = { seq, firstUnackedSeq, index: entry.index, result: { revision: ctx.meta.revision, outcome } };
  ctx.sessions.record(ctx.batch, clientId, applied, ctx.meta.limits.sessionsMax);
  return plain(ctx, entry, outcome);
}

/**
 * Runs one op in its own transaction. A rejection drops its writes. A success
 * that wrote something takes the next revision: its writes join the batch, the
 * counters and fencing fields advance, and its events enter the change log.
 */
async function inTransaction(ctx: ApplyContext, run: (txn: CommandTxn) => Promise<OpOutcome>): Promise<EntryOutcome> {
  const txn = new CommandTxn(ctx.batch, ctx.meta, ctx.meta.revision + 1);
  const outcome = await run(txn);
  if (!outcome.ok) return { status: 'rejected', rejection: outcome.rejection };
  assert(txn.hasWrites === txn.events.length > 0, 'a command writes exactly when it emits events');
  if (txn.hasWrites) commit(ctx, txn);
  return { status: 'applied', result: outcome.result };
}

function commit(ctx: ApplyContext, txn: CommandTxn): void {
  const { meta } = ctx;
  txn.commitInto(ctx.batch);
  meta.revision = txn.revision;
  if (txn.schedulingChanged) meta.schedulingRevision = txn.revision;
  meta.placementTermMax = Math.max(meta.placementTermMax, txn.placementTerm);
  meta.nodeCount += txn.delta.nodes;
  meta.modelCount += txn.delta.models;
  meta.kvKeyCount += txn.delta.kvKeys;
  meta.kvBytes += txn.delta.kvBytes;
  appendChangeRecord(ctx.batch, meta, txn.events, ctx.changeLogSizes);
  for (const event of txn.events) ctx.events.push({ ...event, revision: txn.revision });
}
