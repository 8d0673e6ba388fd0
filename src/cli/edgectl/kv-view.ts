/**
 * How kv entries look on the terminal and in json/yaml. Values are bytes:
 * valid UTF-8 is shown as text; anything else as base64, and the document
 * says which (`encoding`), so a script can always get the exact bytes back.
 */
import type { KeyValue } from '../../gen/edgernetes/api/v1/kv.js';
import type { Rendered } from './output.js';

const UTF8_STRICT = new TextDecoder('utf-8', { fatal: true });
/** Table cells show at most this many characters of a value. */
const TABLE_VALUE_CHARS_MAX = 60;

export interface ValueText {
  readonly value: string;
  readonly encoding: 'utf8' | 'base64';
}

export function valueText(bytes: Uint8Array): ValueText {
  try {
    return { value: UTF8_STRICT.decode(bytes), encoding: 'utf8' };
  } catch {
    return { value: Buffer.from(bytes).toString('base64'), encoding: 'base64' };
  }
}

export interface KvDocument extends ValueText {
  readonly namespace: string;
  readonly key: string;
  readonly createRevision: number;
  readonly modRevision: number;
  readonly version: number;
}

export function kvDocument(kv: KeyValue): KvDocument {
  return {
    namespace: kv.namespace,
    key: kv.key,
    ...valueText(kv.value),
    createRevision: kv.createRevision,
    modRevision: kv.modRevision,
    version: kv.version,
  };
}

/** A value as one table cell: control characters escaped, long values cut. */
function cell(doc: ValueText): string {
  const shown = doc.encoding === 'base64' ? `base64:${doc.value}` : JSON.stringify(doc.value).slice(1, -1);
  return shown.length <= TABLE_VALUE_CHARS_MAX ? shown : `${shown.slice(0, TABLE_VALUE_CHARS_MAX - 3)}...`;
}

const KV_HEAD = ['KEY', 'VALUE', 'VERSION', 'CREATE-REV', 'MOD-REV'];

function kvRow(doc: KvDocument): string[] {
  return [doc.key, cell(doc), String(doc.version), String(doc.createRevision), String(doc.modRevision)];
}

export function kvEntryView(doc: KvDocument): Rendered {
  return { document: doc, table: { head: KV_HEAD, rows: [kvRow(doc)] } };
}

/** A prefix listing; `more` says the listing stopped at the limit. */
export function kvListView(namespace: string, prefix: string, docs: readonly KvDocument[], more: boolean): Rendered {
  return {
    document: { namespace, prefix, kvs: docs, more },
    table: {
      head: KV_HEAD,
      rows: docs.map(kvRow),
      emptyText: `No keys with prefix ${JSON.stringify(prefix)} in namespace ${JSON.stringify(namespace)}.`,
      ...(more ? { title: `(first ${docs.length} keys; raise --limit for more)` } : {}),
    },
  };
}
