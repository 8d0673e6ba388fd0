/**
 * Commands: what a Raft entry's data carries (see codec.ts for the bytes).
 *
 * Envelope {v, clientId, seq, firstUnackedSeq?, op}. `clientId` + `seq` give
 * exactly-once retries (Raft dissertation §6.3): a client numbers its commands
 * 1, 2, 3... and may have several outstanding; `firstUnackedSeq` is the lowest
 * seq it has not yet received a response for, so the state machine can forget
 * the results below it (sessions.ts). The empty clientId (with seq 0 and no
 * firstUnackedSeq) opts out.
 *
 * Compatibility: firstUnackedSeq was added inside version 1. Absent, it means
 * `seq` (every earlier command answered: one outstanding), which is what
 * clients and log entries written before it implied.
 *
 * Time values inside ops (`timeMs`) are supplied by the proposer; apply never
 * reads a clock, so every replica computes the same state.
 */
import { ValidationError } from './errors.js';
import {
  join,
  optionalField,
  readArray,
  readInteger,
  readOneOf,
  readRecord,
  readString,
  requireUnique,
  requiredField,
  type Path,
  type StringRule,
} from './fields.js';
import * as L from './limits.js';
import {
  ASSIGNMENT_STATES,
  modelRefText,
  validateKvKey,
  validateKvValue,
  validateLabels,
  validateModelRef,
  validateModelRequirements,
  validateModelSpec,
  validateDesiredReplicas,
  validateNamespace,
  validateNodeCapabilities,
  validateNodeId,
  validateNodeRegistration,
  validateNodeStatus,
  validateReason,
  validateTaints,
  validateTimeMs,
  type AssignmentState,
  type Labels,
  type ModelRef,
  type ModelRequirements,
  type ModelSpec,
  type NodeCapabilities,
  type NodeRegistration,
  type NodeStatus,
  type Taint,
} from './types.js';

/** The only envelope version this code applies. */
export const COMMAND_VERSION = 1;

export interface ModelNodePair {
  readonly model: ModelRef;
  readonly nodeId: string;
}

/** kv.cas comparison: the current value (null = absent) or the current modRevision (0 = absent). */
export type KvExpectation =
  | { readonly kind: 'value'; readonly value: Uint8Array | null }
  | { readonly kind: 'modRevision'; readonly modRevision: number };

/** `expectedModRevision`, when present, must equal the object's modRevision or the op is rejected. */
export type Op =
  /** Creates the node (status Unknown) or updates its name, address and capabilities. */
  | { readonly kind: 'node.register'; readonly node: NodeRegistration; readonly timeMs: number }
  | {
      readonly kind: 'node.updateCapabilities';
      readonly id: string;
      readonly capabilities: NodeCapabilities;
      readonly expectedModRevision?: number;
    }
  | { readonly kind: 'node.setStatus'; readonly id: string; readonly status: NodeStatus }
  | {
      readonly kind: 'node.setLabels';
      readonly id: string;
      readonly labels: Labels;
      readonly expectedModRevision?: number;
    }
  | {
      readonly kind: 'node.setTaints';
      readonly id: string;
      readonly taints: readonly Taint[];
      readonly expectedModRevision?: number;
    }
  /** Deletes the node and every assignment on it. */
  | { readonly kind: 'node.delete'; readonly id: string; readonly expectedModRevision?: number }
  | { readonly kind: 'model.create'; readonly model: ModelSpec }
  /** Artifact, format and tensors of a version are immutable; requirements and replicas are not. */
  | {
      readonly kind: 'model.update';
      readonly model: ModelRef;
      readonly requirements: ModelRequirements;
      readonly desiredReplicas: number;
      readonly expectedModRevision?: number;
    }
  /** Deletes one model version and every assignment of it. */
  | { readonly kind: 'model.delete'; readonly model: ModelRef; readonly expectedModRevision?: number }
  /**
   * A scheduler decision, fenced: rejected (StalePlacement) when anything the
   * scheduler reads (nodes, models, assignments) changed after
   * `basedOnRevision`, or when a placement from a newer leader term was
   * already applied. All changes apply atomically or none do.
   */
  | {
      readonly kind: 'placement.apply';
      readonly term: number;
      readonly basedOnRevision: number;
      readonly timeMs: number;
      readonly assign: readonly ModelNodePair[];
      readonly unassign: readonly ModelNodePair[];
    }
  | {
      readonly kind: 'assignment.setState';
      readonly model: ModelRef;
      readonly nodeId: string;
      readonly state: AssignmentState;
      readonly reason: string;
      readonly timeMs: number;
      readonly expectedModRevision?: number;
    }
  | { readonly kind: 'kv.put'; readonly namespace: string; readonly key: string; readonly value: Uint8Array }
  | { readonly kind: 'kv.delete'; readonly namespace: string; readonly key: string }
  /** Deletes up to `limit` keys starting with `prefix` (in key order); repeat while `more`. */
  | { readonly kind: 'kv.deleteRange'; readonly namespace: string; readonly prefix: string; readonly limit: number }
  /** If `expect` holds, set the key to `value` (null = delete it); otherwise CasMismatch. */
  | {
      readonly kind: 'kv.cas';
      readonly namespace: string;
      readonly key: string;
      readonly expect: KvExpectation;
      readonly value: Uint8Array | null;
    };

export type OpKind = Op['kind'];

export interface Command {
  readonly v: typeof COMMAND_VERSION;
  /** Empty = no exactly-once session (then seq must be 0). */
  readonly clientId: string;
  readonly seq: number;
  /**
   * The lowest seq of this client still awaiting its response, in [1, seq]
   * (this command awaits its own). Absent = seq. Only with a clientId.
   */
  readonly firstUnackedSeq?: number;
  readonly op: Op;
}

const REVISION_MAX = Number.MAX_SAFE_INTEGER;

type OpReader = (r: Readonly<Record<string, unknown>>, path: Path) => Op;

function readExpected(r: Readonly<Record<string, unknown>>, path: Path): { expectedModRevision?: number } {
  const value = optionalField(r, 'expectedModRevision');
  if (value === undefined) return {};
  return { expectedModRevision: readInteger(value, join(path, 'expectedModRevision'), 1, REVISION_MAX) };
}

function readPairs(value: unknown, path: Path): ModelNodePair[] {
  return readArray(value ?? [], path, L.PLACEMENT_CHANGES_MAX, (item, p) => {
    const r = readRecord(item, p, ['model', 'nodeId']);
    return {
      model: validateModelRef(requiredField(r, 'model', p), join(p, 'model')),
      nodeId: validateNodeId(requiredField(r, 'nodeId', p), join(p, 'nodeId')),
    };
  });
}

function readExpectation(value: unknown, path: Path): KvExpectation {
  const r = readRecord(value, path, ['kind', 'value', 'modRevision']);
  const kind = readOneOf(requiredField(r, 'kind', path), join(path, 'kind'), ['value', 'modRevision'] as const);
  if (kind === 'value') {
    if (Object.hasOwn(r, 'modRevision'))
      throw new ValidationError(join(path, 'modRevision'), 'not allowed with kind value');
    const expected = optionalField(r, 'value');
    return { kind, value: expected === undefined ? null : validateKvValue(expected, join(path, 'value')) };
  }
  if (Object.hasOwn(r, 'value')) throw new ValidationError(join(path, 'value'), 'not allowed with kind modRevision');
  return {
    kind,
    modRevision: readInteger(requiredField(r, 'modRevision', path), join(path, 'modRevision'), 0, REVISION_MAX),
  };
}

const id = (r: Readonly<Record<string, unknown>>, p: Path): string =>
  validateNodeId(requiredField(r, 'id', p), join(p, 'id'));
const ns = (r: Readonly<Record<string, unknown>>, p: Path): string =>
  validateNamespace(requiredField(r, 'namespace', p), join(p, 'namespace'));
const kvKey = (r: Readonly<Record<string, unknown>>, p: Path): string =>
  validateKvKey(requiredField(r, 'key', p), join(p, 'key'));
const modelRef = (r: Readonly<Record<string, unknown>>, p: Path): ModelRef =>
  validateModelRef(requiredField(r, 'model', p), join(p, 'model'));

/** Field names allowed per op (besides `kind`), and how to read them. */
const opReaders: Readonly<Record<OpKind, readonly [readonly string[], OpReader]>> = {
  'node.register': [
    ['node', 'timeMs'],
    (r, p) => ({
      kind: 'node.register',
      node: validateNodeRegistration(requiredField(r, 'node', p), join(p, 'node')),
      timeMs: validateTimeMs(requiredField(r, 'timeMs', p), join(p, 'timeMs')),
    }),
  ],
  'node.updateCapabilities': [
    ['id', 'capabilities', 'expectedModRevision'],
    (r, p) => ({
      kind: 'node.updateCapabilities',
      id: id(r, p),
      capabilities: validateNodeCapabilities(requiredField(r, 'capabilities', p), join(p, 'capabilities')),
      ...readExpected(r, p),
    }),
  ],
  'node.setStatus': [
    ['id', 'status'],
    (r, p) => ({
      kind: 'node.setStatus',
      id: id(r, p),
      status: validateNodeStatus(requiredField(r, 'status', p), join(p, 'status')),
    }),
  ],
  'node.setLabels': [
    ['id', 'labels', 'expectedModRevision'],
    (r, p) => ({
      kind: 'node.setLabels',
      id: id(r, p),
      labels: validateLabels(requiredField(r, 'labels', p), join(p, 'labels')),
      ...readExpected(r, p),
    }),
  ],
  'node.setTaints': [
    ['id', 'taints', 'expectedModRevision'],
    (r, p) => ({
      kind: 'node.setTaints',
      id: id(r, p),
      taints: validateTaints(requiredField(r, 'taints', p), join(p, 'taints')),
      ...readExpected(r, p),
    }),
  ],
  'node.delete': [
    ['id', 'expectedModRevision'],
    (r, p) => ({ kind: 'node.delete', id: id(r, p), ...readExpected(r, p) }),
  ],
  'model.create': [
    ['model'],
    (r, p) => ({ kind: 'model.create', model: validateModelSpec(requiredField(r, 'model', p), join(p, 'model')) }),
  ],
  'model.update': [
    ['model', 'requirements', 'desiredReplicas', 'expectedModRevision'],
    (r, p) => ({
      kind: 'model.update',
      model: modelRef(r, p),
      requirements: validateModelRequirements(requiredField(r, 'requirements', p), join(p, 'requirements')),
      desiredReplicas: validateDesiredReplicas(requiredField(r, 'desiredReplicas', p), join(p, 'desiredReplicas')),
      ...readExpected(r, p),
    }),
  ],
  'model.delete': [
    ['model', 'expectedModRevision'],
    (r, p) => ({ kind: 'model.delete', model: modelRef(r, p), ...readExpected(r, p) }),
  ],
  'placement.apply': [['term', 'basedOnRevision', 'timeMs', 'assign', 'unassign'], readPlacement],
  'assignment.setState': [
    ['model', 'nodeId', 'state', 'reason', 'timeMs', 'expectedModRevision'],
    (r, p) => ({
      kind: 'assignment.setState',
      model: modelRef(r, p),
      nodeId: validateNodeId(requiredField(r, 'nodeId', p), join(p, 'nodeId')),
      state: readOneOf(requiredField(r, 'state', p), join(p, 'state'), ASSIGNMENT_STATES),
      reason: validateReason(optionalField(r, 'reason') ?? '', join(p, 'reason')),
      timeMs: validateTimeMs(requiredField(r, 'timeMs', p), join(p, 'timeMs')),
      ...readExpected(r, p),
    }),
  ],
  'kv.put': [
    ['namespace', 'key', 'value'],
    (r, p) => ({
      kind: 'kv.put',
      namespace: ns(r, p),
      key: kvKey(r, p),
      value: validateKvValue(requiredField(r, 'value', p), join(p, 'value')),
    }),
  ],
  'kv.delete': [['namespace', 'key'], (r, p) => ({ kind: 'kv.delete', namespace: ns(r, p), key: kvKey(r, p) })],
  'kv.deleteRange': [
    ['namespace', 'prefix', 'limit'],
    (r, p) => ({
      kind: 'kv.deleteRange',
      namespace: ns(r, p),
      prefix: validateKvKey(optionalField(r, 'prefix') ?? '', join(p, 'prefix'), 0),
      limit: readInteger(
        optionalField(r, 'limit') ?? L.KV_DELETE_RANGE_KEYS_MAX,
        join(p, 'limit'),
        1,
        L.KV_DELETE_RANGE_KEYS_MAX,
      ),
    }),
  ],
  'kv.cas': [
    ['namespace', 'key', 'expect', 'value'],
    (r, p) => {
      const value = optionalField(r, 'value');
      return {
        kind: 'kv.cas',
        namespace: ns(r, p),
        key: kvKey(r, p),
        expect: readExpectation(requiredField(r, 'expect', p), join(p, 'expect')),
        value: value === undefined ? null : validateKvValue(value, join(p, 'value')),
      };
    },
  ],
};

function readPlacement(r: Readonly<Record<string, unknown>>, p: Path): Op {
  const assign = readPairs(optionalField(r, 'assign'), join(p, 'assign'));
  const unassign = readPairs(optionalField(r, 'unassign'), join(p, 'unassign'));
  if (assign.length + unassign.length === 0)
    throw new ValidationError(join(p, 'assign'), 'a placement must change something');
  if (assign.length + unassign.length > L.PLACEMENT_CHANGES_MAX) {
    throw new ValidationError(join(p, 'assign'), `at most ${L.PLACEMENT_CHANGES_MAX} changes in one placement`);
  }
  const pairs = [...assign, ...unassign];
  requireUnique(pairs, join(p, 'assign+unassign'), (x) => `${x.nodeId}/${modelRefText(x.model)}`);
  return {
    kind: 'placement.apply',
    term: readInteger(requiredField(r, 'term', p), join(p, 'term'), 1, Number.MAX_SAFE_INTEGER),
    basedOnRevision: readInteger(requiredField(r, 'basedOnRevision', p), join(p, 'basedOnRevision'), 0, REVISION_MAX),
    timeMs: validateTimeMs(requiredField(r, 'timeMs', p), join(p, 'timeMs')),
    assign,
    unassign,
  };
}

export const OP_KINDS = Object.keys(opReaders) as OpKind[];
/** Field names any op may have: a name no op has is reported as unknown before `kind` is read. */
const ANY_OP_FIELDS: readonly string[] = ['kind', ...new Set(Object.values(opReaders).flatMap(([fields]) => fields))];
/** Field names each kind of op may have, `kind` included (built once: every write is validated). */
const OP_FIELDS = Object.fromEntries(
  OP_KINDS.map((kind): [OpKind, readonly string[]] => [kind, ['kind', ...opReaders[kind][0]]]),
) as Readonly<Record<OpKind, readonly string[]>>;

/** Validates one op; returns its canonical form or throws ValidationError (path from `path`). */
export function validateOp(value: unknown, path: Path = 'op'): Op {
  const outer = readRecord(value, path, ANY_OP_FIELDS);
  const kind = readOneOf(requiredField(outer, 'kind', path), join(path, 'kind'), OP_KINDS);
  const record = readRecord(value, path, OP_FIELDS[kind]);
  return opReaders[kind][1](record, path);
}

const COMMAND_FIELDS: readonly string[] = ['v', 'clientId', 'seq', 'firstUnackedSeq', 'op'];
const CLIENT_ID_RULE: StringRule = {
  lengthMax: L.CLIENT_ID_LENGTH_MAX,
  pattern: /^$|^[\x21-\x7e]+$/,
  patternDescription: 'printable ASCII without spaces',
};

/**
 * Validates a whole command (envelope and op). Throws ValidationError naming
 * the field. The version is checked by the codec before this runs.
 */
export function validateCommand(value: unknown): Command {
  const r = readRecord(value, '', COMMAND_FIELDS);
  if (requiredField(r, 'v', '') !== COMMAND_VERSION) throw new ValidationError('v', `must be ${COMMAND_VERSION}`);
  const clientId = readString(optionalField(r, 'clientId') ?? '', 'clientId', CLIENT_ID_RULE);
  const seq = readInteger(optionalField(r, 'seq') ?? 0, 'seq', 0, Number.MAX_SAFE_INTEGER);
  if (clientId === '' && seq !== 0) throw new ValidationError('seq', 'must be 0 without a clientId');
  if (clientId !== '' && seq === 0) throw new ValidationError('seq', 'must be at least 1 with a clientId');
  const firstUnacked = readFirstUnackedSeq(optionalField(r, 'firstUnackedSeq'), clientId, seq);
  const op = validateOp(requiredField(r, 'op', ''), 'op');
  // Canonical key order (v, clientId, seq, firstUnackedSeq, op): the encoding depends on it.
  return { v: COMMAND_VERSION, clientId, seq, ...firstUnacked, op };
}

function readFirstUnackedSeq(value: unknown, clientId: string, seq: number): { firstUnackedSeq?: number } {
  if (value === undefined) return {};
  if (clientId === '') throw new ValidationError('firstUnackedSeq', 'not allowed without a clientId');
  const firstUnackedSeq = readInteger(value, 'firstUnackedSeq', 1, Number.MAX_SAFE_INTEGER);
  if (firstUnackedSeq > seq) {
    const reason = `must be at most seq (${seq}): the command itself awaits its response`;
    throw new ValidationError('firstUnackedSeq', reason);
  }
  return { firstUnackedSeq };
}
