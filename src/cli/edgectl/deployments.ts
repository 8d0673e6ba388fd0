/** `edgectl deployment list`: which model version runs on which node, and in what state. */
import type { Command } from 'commander';
import type { AssignmentListFilter } from '../../client/registry.js';
import { UsageError } from './failure.js';
import { limitOption, staleOption } from './options.js';
import { collectPages } from './pages.js';
import { assignmentsView } from './resources/assignment.js';
import { withSession, type Session } from './session.js';

interface ListFlags {
  readonly node?: string;
  readonly namespace?: string;
  readonly model?: string;
  readonly modelVersion?: string;
  readonly stale?: boolean;
  readonly limit: number;
}

function filterOf(opts: ListFlags): AssignmentListFilter {
  const byModel = opts.namespace !== undefined || opts.model !== undefined || opts.modelVersion !== undefined;
  if (opts.node !== undefined && byModel) throw new UsageError('deployment list: filter by --node or by model (-n/--model/--model-version), not both');
  if (opts.node !== undefined) return { nodeId: opts.node };
  if (!byModel) return {};
  if (opts.modelVersion !== undefined && opts.model === undefined) throw new UsageError('deployment list: --model-version needs --model');
  return { model: { namespace: opts.namespace ?? 'default', name: opts.model ?? '', version: opts.modelVersion ?? '' } };
}

async function list(session: Session, opts: ListFlags): Promise<void> {
  const filter = filterOf(opts);
  const listing = await collectPages(opts.limit, async (cursor, want) => {
    const r = await session.registry.listAssignments(filter, { stale: opts.stale === true, limit: want, cursor });
    return { items: r.assignments, nextCursor: r.nextCursor };
  });
  session.print(assignmentsView(listing.items, listing.more, Date.now()));
}

export function registerDeployments(program: Command): void {
  const deployment = program.command('deployment').description('model versions placed on nodes and their state');
  deployment
    .command('list')
    .description('every deployment, or those of one node or of some model versions')
    .option('--node <id>', 'only the deployments on this node')
    .option('-n, --namespace <namespace>', 'only models of this namespace')
    .option('--model <name>', 'only versions of this model (in -n, default "default")')
    .option('--model-version <version>', 'only this version (with --model)')
    .addOption(limitOption('deployments'))
    .addOption(staleOption())
    .action((opts: ListFlags, cmd: Command) => withSession(cmd, (s) => list(s, opts)));
}
