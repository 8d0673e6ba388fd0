/**
 * `edgectl kv put|get|del|cas` (and `watch`, in kv-watch.ts): the namespaced key-value store.
 *
 * Reads are linearizable unless --stale. `kv get` of a missing key fails with
 * NOT_FOUND (exit 1); `kv del` of a missing key reports 0 deleted (exit 0);
 * `kv cas` whose comparison does not hold prints `swapped: false` and exits 3.
 */
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { Command } from 'commander';
import type { CasExpectation } from '../../client/client.js';
import { RequestError } from '../../client/errors.js';
import { KV_DELETE_RANGE_KEYS_MAX } from '../../fsm/limits.js';
import { EXIT_NOT_SWAPPED, UsageError } from './failure.js';
import { readValue } from './kv-input.js';
import { kvDocument, kvEntryView, kvListView } from './kv-view.js';
import { registerKvWatch } from './kv-watch.js';
import { integerArgument, limitOption, namespaceOption, staleOption } from './options.js';
import { collectPages } from './pages.js';
import { withSession, type Session } from './session.js';

/** Bound on `kv del --prefix` rounds (each removes up to KV_DELETE_RANGE_KEYS_MAX keys). */
const DELETE_ROUNDS_MAX = 10_000;

interface NamespaceOption {
  readonly namespace: string;
}

async function put(session: Session, key: string, value: string | undefined, opts: NamespaceOption & { file?: string }): Promise<void> {
  const bytes = await readValue({ text: value, file: opts.file });
  const r = await session.client.put(opts.namespace, key, bytes);
  const document = { namespace: opts.namespace, key, modRevision: r.modRevision, version: r.version, prevModRevision: r.prevModRevision };
  session.print({
    document,
    table: { head: ['KEY', 'MOD-REV', 'VERSION', 'PREV-MOD-REV'], rows: [[key, String(r.modRevision), String(r.version), String(r.prevModRevision)]] },
  });
}

async function getOne(session: Session, key: string, opts: NamespaceOption & { stale?: boolean }): Promise<void> {
  const r = await session.client.get(opts.namespace, key, { stale: opts.stale === true });
  if (!r.found || r.kv === undefined) {
    throw new RequestError(`key ${JSON.stringify(key)} not found in namespace ${JSON.stringify(opts.namespace)}`, GrpcStatus.NOT_FOUND);
  }
  session.print(kvEntryView(kvDocument(r.kv)));
}

/** Lists keys starting with `prefix`, page by page, up to `limit`. */
async function getPrefix(session: Session, prefix: string, opts: NamespaceOption & { stale?: boolean; limit: number }): Promise<void> {
  const listing = await collectPages(opts.limit, async (cursor, want) => {
    const r = await session.client.range(opts.namespace, prefix, want, cursor, { stale: opts.stale === true });
    return { items: r.kvs, nextCursor: r.nextCursor };
  });
  session.print(kvListView(opts.namespace, prefix, listing.items.map(kvDocument), listing.more));
}

async function del(session: Session, key: string, opts: NamespaceOption & { prefix?: boolean }): Promise<void> {
  let deleted = 0;
  let more = opts.prefix === true;
  if (opts.prefix !== true) {
    deleted = (await session.client.delete(opts.namespace, key)).deleted;
  } else {
    for (let round = 0; round < DELETE_ROUNDS_MAX && more; round++) {
      const r = await session.client.delete(opts.namespace, key, true, KV_DELETE_RANGE_KEYS_MAX);
      deleted += r.deleted;
      more = r.more;
    }
  }
  const document = { namespace: opts.namespace, key, prefix: opts.prefix === true, deleted, more };
  session.print({ document, table: { head: ['KEY', 'DELETED'], rows: [[opts.prefix === true ? `${key}*` : key, String(deleted)]] } });
}

interface CasOptions extends NamespaceOption {
  readonly file?: string;
  readonly expectValue?: string;
  readonly expectAbsent?: boolean;
  readonly expectModRevision?: number;
  readonly delete?: boolean;
}

function casExpectation(opts: CasOptions): CasExpectation {
  const given = [opts.expectValue !== undefined, opts.expectAbsent === true, opts.expectModRevision !== undefined].filter(Boolean).length;
  if (given !== 1) throw new UsageError('kv cas: give exactly one of --expect-value, --expect-absent, --expect-mod-revision');
  if (opts.expectValue !== undefined) return { value: Buffer.from(opts.expectValue, 'utf8') };
  if (opts.expectAbsent === true) return { absent: true };
  return { modRevision: opts.expectModRevision! };
}

async function cas(session: Session, key: string, value: string | undefined, opts: CasOptions): Promise<number | void> {
  const expect = casExpectation(opts);
  if (opts.delete === true && (value !== undefined || opts.file !== undefined)) throw new UsageError('kv cas: --delete takes no value');
  const bytes = opts.delete === true ? null : await readValue({ text: value, file: opts.file });
  const r = await session.client.compareAndSwap(opts.namespace, key, expect, bytes);
  const document = { namespace: opts.namespace, key, swapped: r.swapped, modRevision: r.swapped ? r.modRevision : null };
  session.print({
    document,
    table: { head: ['KEY', 'SWAPPED', 'MOD-REV'], rows: [[key, String(r.swapped), r.swapped ? String(r.modRevision) : '-']] },
  });
  return r.swapped ? undefined : EXIT_NOT_SWAPPED;
}

export function registerKv(program: Command): void {
  const kv = program.command('kv').description('the replicated key-value store');
  kv.command('put')
    .description('set KEY to VALUE (or to the bytes of --file)')
    .argument('<key>', 'the key (any text without NUL, at most 1024 bytes)')
    .argument('[value]', 'UTF-8 text')
    .addOption(namespaceOption('kv namespace'))
    .option('-f, --file <path>', 'read the value from a file (- for stdin)')
    .action((key: string, value: string | undefined, opts, cmd: Command) => withSession(cmd, (s) => put(s, key, value, opts)));
  kv.command('get')
    .description('read KEY (or, with --prefix, every key starting with it)')
    .argument('<key>', 'the key (any text without NUL, at most 1024 bytes)')
    .addOption(namespaceOption('kv namespace'))
    .option('--prefix', 'list keys starting with KEY')
    .addOption(limitOption('keys (with --prefix)'))
    .addOption(staleOption())
    .action((key: string, opts, cmd: Command) => withSession(cmd, (s) => (opts.prefix === true ? getPrefix(s, key, opts) : getOne(s, key, opts))));
  kv.command('del')
    .alias('delete')
    .description('delete KEY (or, with --prefix, every key starting with it)')
    .argument('<key>', 'the key (any text without NUL, at most 1024 bytes)')
    .addOption(namespaceOption('kv namespace'))
    .option('--prefix', 'delete every key starting with KEY')
    .action((key: string, opts, cmd: Command) => withSession(cmd, (s) => del(s, key, opts)));
  kv.command('cas')
    .description('set KEY to VALUE only if the expectation holds; exit 3 (swapped: false) if it does not')
    .argument('<key>', 'the key (any text without NUL, at most 1024 bytes)')
    .argument('[value]', 'UTF-8 text')
    .addOption(namespaceOption('kv namespace'))
    .option('-f, --file <path>', 'read the new value from a file (- for stdin)')
    .option('--expect-value <text>', 'swap if the current value is this text')
    .option('--expect-absent', 'swap if the key does not exist')
    .option('--expect-mod-revision <revision>', 'swap if the key was last modified at this revision (0: absent)', integerArgument(0, Number.MAX_SAFE_INTEGER))
    .option('--delete', 'delete the key instead of setting it')
    .action((key: string, value: string | undefined, opts: CasOptions, cmd: Command) => withSession(cmd, (s) => cas(s, key, value, opts)));
  registerKvWatch(kv);
}
