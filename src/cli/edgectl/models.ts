/**
 * `edgectl model list|get|delete`: model versions. A version is named by
 * namespace (-n, default "default"), name and version.
 */
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { Command } from 'commander';
import { RequestError } from '../../client/errors.js';
import { limitOption, namespaceOption, staleOption } from './options.js';
import { collectPages } from './pages.js';
import { modelRefText, modelsView, modelView } from './resources/model.js';
import { withSession, type Session } from './session.js';

interface ListFlags {
  readonly namespace: string;
  readonly allNamespaces?: boolean;
  readonly stale?: boolean;
  readonly limit: number;
}

async function listVersions(session: Session, name: string, opts: ListFlags) {
  const namespace = opts.allNamespaces === true ? '' : opts.namespace;
  return collectPages(opts.limit, async (cursor, want) => {
    const r = await session.registry.listModels({ namespace, name }, { stale: opts.stale === true, limit: want, cursor });
    return { items: r.models, nextCursor: r.nextCursor };
  });
}

async function list(session: Session, opts: ListFlags): Promise<void> {
  const listing = await listVersions(session, '', opts);
  session.print(modelsView(listing.items, listing.more));
}

/** With VERSION: that version; without: every version of NAME (NOT_FOUND when there is none). */
async function get(session: Session, name: string, version: string | undefined, opts: ListFlags): Promise<void> {
  if (version !== undefined) {
    const r = await session.registry.getModel({ namespace: opts.namespace, name, version }, { stale: opts.stale === true });
    if (r.model === undefined) throw new Error(`Models.Get answered without a model for ${name} ${version}`);
    session.print(modelView(r.model));
    return;
  }
  const listing = await listVersions(session, name, { ...opts, allNamespaces: false });
  if (listing.items.length === 0) {
    throw new RequestError(`model ${opts.namespace}/${name} has no versions`, GrpcStatus.NOT_FOUND);
  }
  session.print(modelsView(listing.items, listing.more));
}

async function remove(session: Session, name: string, version: string, opts: { namespace: string }): Promise<void> {
  const ref = { namespace: opts.namespace, name, version };
  const r = await session.registry.deleteModel(ref);
  const document = { model: ref, deleted: true, assignmentsDeleted: r.assignmentsDeleted };
  session.print({
    document,
    table: { head: ['MODEL', 'DELETED', 'ASSIGNMENTS-DELETED'], rows: [[modelRefText(ref), 'true', String(r.assignmentsDeleted)]] },
  });
}

export function registerModels(program: Command): void {
  const model = program.command('model').description('model versions: list, inspect, delete (create and change them with apply)');
  model
    .command('list')
    .description('model versions of a namespace (or of all with -A)')
    .addOption(namespaceOption())
    .option('-A, --all-namespaces', 'list the versions of every namespace')
    .addOption(limitOption('versions'))
    .addOption(staleOption())
    .action((opts: ListFlags, cmd: Command) => withSession(cmd, (s) => list(s, opts)));
  model
    .command('get')
    .description('one version, or every version of NAME')
    .argument('<name>')
    .argument('[version]')
    .addOption(namespaceOption())
    .addOption(limitOption('versions'))
    .addOption(staleOption())
    .action((name: string, version: string | undefined, opts: ListFlags, cmd: Command) => withSession(cmd, (s) => get(s, name, version, opts)));
  model
    .command('delete')
    .description('delete one version and every deployment of it')
    .argument('<name>')
    .argument('<version>')
    .addOption(namespaceOption())
    .action((name: string, version: string, opts: { namespace: string }, cmd: Command) => withSession(cmd, (s) => remove(s, name, version, opts)));
}
