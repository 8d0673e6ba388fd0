/**
 * `edgectl kv watch KEY [--prefix] [--from-revision N] [--count N]`: prints
 * every change of KEY (or of the keys starting with it) as it is applied,
 * until Ctrl-C, or until --count events were printed.
 *
 * The stream resumes by itself on another replica after a failover, without
 * losing or repeating an event (see src/client/watch-stream.ts). Output is one
 * event per line in table format, JSON Lines with -o json, and one YAML
 * document per event with -o yaml.
 */
import type { Command } from 'commander';
import { stringify as toYaml } from 'yaml';
import { EventType, WatchKind, type WatchEvent } from '../../gen/edgernetes/api/v1/watch.js';
import { kvDocument } from './kv-view.js';
import { integerArgument, namespaceOption } from './options.js';
import type { OutputFormat } from './output.js';
import { withSession, type Session } from './session.js';

interface WatchFlags {
  readonly namespace: string;
  readonly prefix?: boolean;
  readonly fromRevision?: number;
  readonly count?: number;
}

interface KvEventDocument {
  readonly revision: number;
  readonly type: 'PUT' | 'DELETE';
  readonly namespace: string;
  readonly key: string;
  readonly value?: string;
  readonly encoding?: 'utf8' | 'base64';
  readonly version?: number;
}

function eventDocument(event: WatchEvent, namespace: string): KvEventDocument {
  const key = event.key.slice(namespace.length + 1);
  if (event.type !== EventType.EVENT_TYPE_PUT || event.object?.$case !== 'kv') return { revision: event.revision, type: 'DELETE', namespace, key };
  const kv = kvDocument(event.object.value);
  return { revision: event.revision, type: 'PUT', namespace, key, value: kv.value, encoding: kv.encoding, version: kv.version };
}

function eventText(doc: KvEventDocument, format: OutputFormat): string {
  if (format === 'json') return `${JSON.stringify(doc)}\n`;
  if (format === 'yaml') return `---\n${toYaml(doc)}`;
  const value = doc.value === undefined ? '' : `  ${doc.encoding === 'base64' ? `base64:${doc.value}` : JSON.stringify(doc.value)}`;
  return `${doc.revision}  ${doc.type.padEnd(6)}  ${doc.key}${value}\n`;
}

async function watch(session: Session, key: string, opts: WatchFlags): Promise<void> {
  const watchedKey = `${opts.namespace}/${key}`;
  const stream = session.registry.watch({ kinds: [WatchKind.WATCH_KIND_KV], keyPrefix: watchedKey, fromRevision: opts.fromRevision ?? 0 });
  const stop = () => stream.cancel();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  let printed = 0;
  try {
    for await (const response of stream) {
      for (const event of response.events) {
        // The server matches a prefix; without --prefix only the exact key counts.
        if (opts.prefix !== true && event.key !== watchedKey) continue;
        session.printLine(eventText(eventDocument(event, opts.namespace), session.options.output).trimEnd());
        printed += 1;
        if (opts.count !== undefined && printed >= opts.count) return stream.cancel();
      }
    }
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

export function registerKvWatch(kv: Command): void {
  kv.command('watch')
    .description('print changes of KEY (or of keys starting with it) as they happen, until Ctrl-C')
    .argument('<key>', 'the key, or with --prefix the start of the keys')
    .addOption(namespaceOption('kv namespace'))
    .option('--prefix', 'watch every key starting with KEY')
    .option('--from-revision <revision>', 'start with the changes made at this revision (default: changes from now on)', integerArgument(1, Number.MAX_SAFE_INTEGER))
    .option('--count <events>', 'exit after printing this many events', integerArgument(1, Number.MAX_SAFE_INTEGER))
    .action((key: string, opts: WatchFlags, cmd: Command) => withSession(cmd, (s) => watch(s, key, opts)));
}
