/**
 * Layout of the LevelDB key space.
 *
 * Keys are handled as "binary strings" (latin1: one char per byte, so string
 * order equals byte order) and turned into Buffers only at the Level boundary.
 * User text is converted to its UTF-8 bytes first. Components are separated
 * by NUL, which no identifier may contain; a prefix's range ends at
 * prefix + 0xFF, a byte that never occurs in UTF-8.
 *
 *   _meta                          MetaState (applied index, revision, counters)
 *   n/<nodeId>                     EdgeNode
 *   m/<ns>\0<name>\0<version>      Model
 *   a/<ns>\0<name>\0<version>\0<nodeId>   Assignment
 *   b/<nodeId>\0<ns>\0<name>\0<version>   '' (index of assignments by node)
 *   k/<ns>\0<key utf8>             KvEntry
 *   r/<memberId utf8>              Member
 *   s/<clientId>                   Session head (floor seq, stored seqs, last log index)
 *   o/<clientId>\0<seq hex14>      Session result (revision and outcome of one seq)
 *   c/<revision hex14>             ChangeRecord (events of one revision)
 *   z/<revision hex14>             size in bytes of c/<revision>
 */
import type { ModelRef } from './types.js';

/** A Level key as a latin1 binary string. */
export type StoreKey = string;

export const META_KEY: StoreKey = '_meta';
const SEP = '\x00';
const END = '\xff';

export const Prefix = {
  node: 'n/',
  model: 'm/',
  assignment: 'a/',
  assignmentByNode: 'b/',
  kv: 'k/',
  member: 'r/',
  session: 's/',
  sessionResult: 'o/',
  changeLog: 'c/',
  changeLogSize: 'z/',
} as const;

/** UTF-8 bytes of `text` as a binary string. */
export function utf8Binary(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1');
}

export function binaryToUtf8(binary: string): string {
  return Buffer.from(binary, 'latin1').toString('utf8');
}

export function toBuffer(key: StoreKey): Buffer {
  return Buffer.from(key, 'latin1');
}

export function fromBuffer(key: Uint8Array): StoreKey {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1');
}

/** Half-open range [gte, lt) of every key that starts with `prefix`. */
export interface KeyRange {
  readonly gte: StoreKey;
  readonly lt: StoreKey;
}

export function prefixRange(prefix: StoreKey): KeyRange {
  return { gte: prefix, lt: prefix + END };
}

export const nodeKey = (id: string): StoreKey => Prefix.node + id;

const refPart = (ref: ModelRef): string => ref.namespace + SEP + ref.name + SEP + ref.version;

export const modelKey = (ref: ModelRef): StoreKey => Prefix.model + refPart(ref);

/** Models of a namespace, or of one name in it. */
export function modelPrefix(namespace: string, name?: string): StoreKey {
  return Prefix.model + namespace + SEP + (name === undefined ? '' : name + SEP);
}

export const assignmentKey = (ref: ModelRef, nodeId: string): StoreKey =>
  Prefix.assignment + refPart(ref) + SEP + nodeId;

/** Assignments of a model version (or of every version of a name, or a namespace). */
export function assignmentPrefix(namespace: string, name?: string, version?: string): StoreKey {
  let prefix = Prefix.assignment + namespace + SEP;
  if (name !== undefined) prefix += name + SEP;
  if (name !== undefined && version !== undefined) prefix += version + SEP;
  return prefix;
}

export const assignmentByNodeKey = (nodeId: string, ref: ModelRef): StoreKey =>
  Prefix.assignmentByNode + nodeId + SEP + refPart(ref);

export const assignmentByNodePrefix = (nodeId: string): StoreKey => Prefix.assignmentByNode + nodeId + SEP;

/** Parses a b/ index key back into its node and model. */
export function parseAssignmentByNodeKey(key: StoreKey): { nodeId: string; model: ModelRef } {
  const [nodeId, namespace, name, version] = key.slice(Prefix.assignmentByNode.length).split(SEP);
  return { nodeId: nodeId!, model: { namespace: namespace!, name: name!, version: version! } };
}

export const kvKey = (namespace: string, key: string): StoreKey => Prefix.kv + namespace + SEP + utf8Binary(key);

export const kvPrefix = (namespace: string, keyPrefix: string): StoreKey =>
  Prefix.kv + namespace + SEP + utf8Binary(keyPrefix);

export const memberKey = (id: string): StoreKey => Prefix.member + utf8Binary(id);

export const sessionKey = (clientId: string): StoreKey => Prefix.session + clientId;

/** Revisions are at most 2^53, i.e. 14 hex digits: fixed width keeps numeric order. */
const REVISION_HEX_DIGITS = 14;

export function revisionSuffix(revision: number): string {
  return revision.toString(16).padStart(REVISION_HEX_DIGITS, '0');
}

export const changeLogKey = (revision: number): StoreKey => Prefix.changeLog + revisionSuffix(revision);

export const changeLogSizeKey = (revision: number): StoreKey => Prefix.changeLogSize + revisionSuffix(revision);

export function parseChangeLogKey(key: StoreKey): number {
  return Number.parseInt(key.slice(Prefix.changeLog.length), 16);
}

/** Sequence numbers are safe integers, at most 2^53: 14 hex digits keep numeric order. */
export const sessionResultKey = (clientId: string, seq: number): StoreKey =>
  Prefix.sessionResult + clientId + SEP + revisionSuffix(seq);
