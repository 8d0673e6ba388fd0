/**
 * Reads from one consistent point: a ReadView wraps a LevelDB snapshot and the
 * meta record read from that same snapshot, so every answer (and the revision
 * it reports) belongs to one applied state, however many calls are made.
 *
 * Every list is a bounded page. `cursor` continues a previous page; it is
 * opaque (base64url of the last key) and only valid for the same kind of list.
 * Input is validated with the same validators as commands (ValidationError).
 */
import { assert } from '../raft/core/errors.js';
import { decodeRecord } from './codec.js';
import { ValidationError } from './errors.js';
import {
  assignmentByNodePrefix,
  assignmentKey,
  assignmentPrefix,
  kvKey,
  kvPrefix,
  META_KEY,
  modelKey,
  modelPrefix,
  nodeKey,
  parseAssignmentByNodeKey,
  Prefix,
  prefixRange,
  type KeyRange,
  type StoreKey,
} from './keys.js';
import type { MetaState } from './meta.js';
import { readAt, scanDb, type Db, type DbSnapshot } from './store.js';
import {
  validateKvKey,
  validateModelRef,
  validateNamespace,
  validateNodeId,
  type Assignment,
  type EdgeNode,
  type KvEntry,
  type Member,
  type Model,
  type ModelRef,
} from './types.js';
import { readInteger, readString } from './fields.js';

export interface PageRequest {
  /** Items at most (default 100, at most the configured readPageItemsMax). */
  readonly limit?: number;
  /** From a previous page's nextCursor. */
  readonly cursor?: string;
}

export interface Page<T> {
  readonly items: readonly T[];
  /** Present when more items follow. */
  readonly nextCursor: string | null;
  readonly revision: number;
}

export interface ModelFilter {
  readonly namespace?: string;
  /** Requires namespace. */
  readonly name?: string;
}

export interface AssignmentFilter {
  /** Assignments held by this node (uses the by-node index). */
  readonly nodeId?: string;
  /** Assignments of a namespace, a model name, or one version (namespace required when name is given). */
  readonly namespace?: string;
  readonly name?: string;
  readonly version?: string;
}

const DEFAULT_PAGE_ITEMS = 100;
const MEMBERS_MAX = 1000;

export class ReadView {
  /** Revision of the state this view reads. */
  readonly revision: number;
  readonly appliedIndex: number;
  readonly appliedTerm: number;
  /** Revision to put in a placement's basedOnRevision when planning from this view. */
  readonly schedulingRevision: number;

  constructor(
    private readonly db: Db,
    private readonly snapshot: DbSnapshot,
    meta: MetaState,
    private readonly pageItemsMax: number,
  ) {
    this.revision = meta.revision;
    this.appliedIndex = meta.appliedIndex;
    this.appliedTerm = meta.appliedTerm;
    this.schedulingRevision = meta.schedulingRevision;
  }

  /** Reads the meta record of a snapshot (for building a view). */
  static async readMeta(db: Db, snapshot: DbSnapshot): Promise<MetaState> {
    const bytes = await readAt(db, snapshot, META_KEY);
    assert(bytes !== undefined, 'an opened database always holds the meta record');
    return decodeRecord<MetaState>(bytes);
  }

  async getNode(id: string): Promise<EdgeNode | undefined> {
    return this.get<EdgeNode>(nodeKey(validateNodeId(id, 'id')));
  }

  async listNodes(page: PageRequest = {}): Promise<Page<EdgeNode>> {
    return this.list<EdgeNode>(prefixRange(Prefix.node), page);
  }

  async getModel(ref: ModelRef): Promise<Model | undefined> {
    return this.get<Model>(modelKey(validateModelRef({ ...ref }, 'model')));
  }

  async listModels(filter: ModelFilter = {}, page: PageRequest = {}): Promise<Page<Model>> {
    if (filter.namespace === undefined) {
      if (filter.name !== undefined) throw new ValidationError('namespace', 'is required with name');
      return this.list<Model>(prefixRange(Prefix.model), page);
    }
    const namespace = validateNamespace(filter.namespace, 'namespace');
    const name =
      filter.name === undefined ? undefined : validateModelRef({ namespace, name: filter.name, version: 'x' }).name;
    return this.list<Model>(prefixRange(modelPrefix(namespace, name)), page);
  }

  async getAssignment(model: ModelRef, nodeId: string): Promise<Assignment | undefined> {
    const ref = validateModelRef({ ...model }, 'model');
    return this.get<Assignment>(assignmentKey(ref, validateNodeId(nodeId, 'nodeId')));
  }

  async listAssignments(filter: AssignmentFilter = {}, page: PageRequest = {}): Promise<Page<Assignment>> {
    if (filter.nodeId !== undefined) {
      if (filter.namespace !== undefined) throw new ValidationError('namespace', 'cannot be combined with nodeId');
      return this.listByNode(validateNodeId(filter.nodeId, 'nodeId'), page);
    }
    if (filter.namespace === undefined) {
      if (filter.name !== undefined || filter.version !== undefined)
        throw new ValidationError('namespace', 'is required with name');
      return this.list<Assignment>(prefixRange(Prefix.assignment), page);
    }
    const ref = validateModelRef({
      namespace: filter.namespace,
      name: filter.name ?? 'x',
      version: filter.version ?? 'x',
    });
    if (filter.name === undefined && filter.version !== undefined)
      throw new ValidationError('name', 'is required with version');
    const prefix = assignmentPrefix(
      ref.namespace,
      filter.name === undefined ? undefined : ref.name,
      filter.version === undefined ? undefined : ref.version,
    );
    return this.list<Assignment>(prefixRange(prefix), page);
  }

  async kvGet(namespace: string, key: string): Promise<KvEntry | undefined> {
    return this.get<KvEntry>(kvKey(validateNamespace(namespace, 'namespace'), validateKvKey(key, 'key')));
  }

  /** Keys of `namespace` starting with `prefix` (empty: all), in byte order of their UTF-8. */
  async kvRange(namespace: string, prefix: string, page: PageRequest = {}): Promise<Page<KvEntry>> {
    const range = prefixRange(kvPrefix(validateNamespace(namespace, 'namespace'), validateKvKey(prefix, 'prefix', 0)));
    return this.list<KvEntry>(range, page);
  }

  async listMembers(): Promise<Member[]> {
    const members: Member[] = [];
    for await (const [, value] of scanDb(this.db, prefixRange(Prefix.member), {
      limit: MEMBERS_MAX,
      snapshot: this.snapshot,
    })) {
      members.push(decodeRecord<Member>(value));
    }
    return members;
  }

  private async get<T>(key: StoreKey): Promise<T | undefined> {
    const bytes = await readAt(this.db, this.snapshot, key);
    return bytes === undefined ? undefined : decodeRecord<T>(bytes);
  }

  private async list<T>(range: KeyRange, page: PageRequest): Promise<Page<T>> {
    const { limit, after } = this.pageBounds(range, page);
    const items: T[] = [];
    let lastKey: StoreKey | null = null;
    let more = false;
    for await (const [key, value] of scanDb(this.db, range, { limit: limit + 1, snapshot: this.snapshot, ...after })) {
      if (items.length === limit) {
        more = true;
        break;
      }
      items.push(decodeRecord<T>(value));
      lastKey = key;
    }
    return { items, nextCursor: more && lastKey !== null ? encodeCursor(lastKey) : null, revision: this.revision };
  }

  private async listByNode(nodeId: string, page: PageRequest): Promise<Page<Assignment>> {
    const range = prefixRange(assignmentByNodePrefix(nodeId));
    const { limit, after } = this.pageBounds(range, page);
    const keys: StoreKey[] = [];
    for await (const [key] of scanDb(this.db, range, { limit: limit + 1, snapshot: this.snapshot, ...after }))
      keys.push(key);
    const more = keys.length > limit;
    const pageKeys = keys.slice(0, limit);
    const items: Assignment[] = [];
    for (const key of pageKeys) {
      const { model } = parseAssignmentByNodeKey(key);
      const assignment = await this.get<Assignment>(assignmentKey(model, nodeId));
      assert(assignment !== undefined, `index entry ${JSON.stringify(key)} has its assignment`);
      items.push(assignment);
    }
    return { items, nextCursor: more ? encodeCursor(pageKeys[pageKeys.length - 1]!) : null, revision: this.revision };
  }

  private pageBounds(range: KeyRange, page: PageRequest): { limit: number; after: { after?: StoreKey } } {
    const limit = readInteger(
      page.limit ?? Math.min(DEFAULT_PAGE_ITEMS, this.pageItemsMax),
      'limit',
      1,
      this.pageItemsMax,
    );
    if (page.cursor === undefined || page.cursor === '') return { limit, after: {} };
    const key = decodeCursor(readString(page.cursor, 'cursor', { lengthMax: 8192 }));
    if (key < range.gte || key >= range.lt) throw new ValidationError('cursor', 'does not belong to this list');
    return { limit, after: { after: key } };
  }
}

function encodeCursor(key: StoreKey): string {
  return Buffer.from(key, 'latin1').toString('base64url');
}

function decodeCursor(cursor: string): StoreKey {
  if (!/^[A-Za-z0-9_-]*$/.test(cursor)) throw new ValidationError('cursor', 'is not a cursor from a previous page');
  return Buffer.from(cursor, 'base64url').toString('latin1');
}
