/** `edgectl node list|get`: the edge devices their agents registered. */
import type { Command } from 'commander';
import { limitOption, staleOption } from './options.js';
import { collectPages } from './pages.js';
import { nodesView, nodeView } from './resources/node.js';
import { withSession, type Session } from './session.js';

interface ReadFlags {
  readonly stale?: boolean;
}

async function list(session: Session, opts: ReadFlags & { limit: number }): Promise<void> {
  const listing = await collectPages(opts.limit, async (cursor, want) => {
    const r = await session.registry.listNodes({ stale: opts.stale === true, limit: want, cursor });
    return { items: r.nodes, nextCursor: r.nextCursor };
  });
  session.print(nodesView(listing.items, listing.more));
}

async function get(session: Session, id: string, opts: ReadFlags): Promise<void> {
  const r = await session.registry.getNode(id, { stale: opts.stale === true });
  // A reply without the node would be a server bug; the NOT_FOUND case arrives as an error.
  if (r.node === undefined) throw new Error(`Nodes.Get answered without a node for ${id}`);
  session.print(nodeView(r.node));
}

export function registerNodes(program: Command): void {
  const node = program.command('node').description('edge devices: their capabilities, status, labels and taints');
  node
    .command('list')
    .description('every registered node')
    .addOption(limitOption('nodes'))
    .addOption(staleOption())
    .action((opts, cmd: Command) => withSession(cmd, (s) => list(s, opts)));
  node
    .command('get')
    .description('one node (-o yaml shows everything it reported)')
    .argument('<id>', 'node id')
    .addOption(staleOption())
    .action((id: string, opts, cmd: Command) => withSession(cmd, (s) => get(s, id, opts)));
}
