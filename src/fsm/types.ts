/**
 * The replicated data model (nodes, models, assignments, kv, members) and the
 * validation of every user-supplied part of it.
 *
 * Each validateX(value, path) returns a canonical copy (maps sorted, optional
 * parts filled with their defaults) or throws a ValidationError whose `field`
 * is the dotted path of the offending part, e.g.
 * `node.capabilities.accelerators[1].kind`. The API edge calls them before
 * proposing; the state machine calls them again when decoding an entry.
 */
import type { NodeId } from '../raft/core/types.js';
import { ValidationError } from './errors.js';
import {
  join,
  optionalField,
  readArray,
  readBytes,
  readInteger,
  readNumber,
  readOneOf,
  readRecord,
  readString,
  readStringMap,
  requireUnique,
  requiredField,
  type Path,
  type StringRule,
} from './fields.js';
import * as L from './limits.js';

// ---------------------------------------------------------------- nodes

export const ACCELERATOR_KINDS = ['gpu', 'npu', 'tpu', 'dsp', 'vpu', 'fpga', 'igpu'] as const;
export type AcceleratorKind = (typeof ACCELERATOR_KINDS)[number];

export interface Accelerator {
  readonly kind: AcceleratorKind;
  readonly vendor: string;
  readonly model: string;
  readonly memoryBytes: number;
  /** Peak tera-operations per second as reported by the vendor (0 if unknown). */
  readonly tops: number;
}

export interface CpuInfo {
  readonly model: string;
  /** e.g. x86_64, arm64, riscv64. */
  readonly arch: string;
  readonly cores: number;
  /** e.g. avx2, neon, fp16. */
  readonly flags: readonly string[];
}

export interface NodeCapabilities {
  readonly cpu: CpuInfo;
  readonly memoryBytes: number;
  readonly accelerators: readonly Accelerator[];
  /** ONNX Runtime execution providers usable on the node, e.g. CUDAExecutionProvider. */
  readonly executionProviders: readonly string[];
  /** A measured, unitless compute score (higher is faster), comparable across nodes. */
  readonly computeScore: number;
}

export const NODE_CONDITIONS = ['Ready', 'NotReady', 'Unknown'] as const;
export type NodeCondition = (typeof NODE_CONDITIONS)[number];

export interface NodeStatus {
  readonly condition: NodeCondition;
  readonly reason: string;
  /** Proposer's wall-clock time of the observation, ms since the epoch. */
  readonly timeMs: number;
}

export const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const;
export type TaintEffect = (typeof TAINT_EFFECTS)[number];

export interface Taint {
  readonly key: string;
  readonly value: string;
  readonly effect: TaintEffect;
}

/** Label map with keys in ascending order (canonical). */
export type Labels = Readonly<Record<string, string>>;

/** What an agent reports about itself when it registers. */
export interface NodeRegistration {
  /** Stable identity (machine id); never reused for another device. */
  readonly id: string;
  readonly name: string;
  /** host:port where the agent serves. */
  readonly address: string;
  /** Initial labels; only applied when the node is created (admins own labels afterwards). */
  readonly labels: Labels;
  readonly capabilities: NodeCapabilities;
}

export interface EdgeNode {
  readonly id: string;
  readonly name: string;
  readonly address: string;
  readonly labels: Labels;
  readonly taints: readonly Taint[];
  readonly capabilities: NodeCapabilities;
  readonly status: NodeStatus;
  readonly createRevision: number;
  readonly modRevision: number;
}

// ---------------------------------------------------------------- models

export interface ModelRef {
  readonly namespace: string;
  readonly name: string;
  readonly version: string;
}

export const TENSOR_DATA_TYPES = [
  'float32',
  'float16',
  'bfloat16',
  'float64',
  'int8',
  'int16',
  'int32',
  'int64',
  'uint8',
  'uint16',
  'uint32',
  'uint64',
  'bool',
  'string',
] as const;
export type TensorDataType = (typeof TENSOR_DATA_TYPES)[number];

export interface TensorSpec {
  readonly name: string;
  readonly dataType: TensorDataType;
  /** Dimensions: a size (-1 = dynamic) or a symbolic name such as "batch". */
  readonly shape: readonly (number | string)[];
}

export interface ModelArtifact {
  /** Lowercase hex SHA-256 of the artifact bytes. */
  readonly sha256: string;
  readonly sizeBytes: number;
}

export const MODEL_FORMATS = ['onnx'] as const;
export type ModelFormat = (typeof MODEL_FORMATS)[number];

export const TOLERATION_OPERATORS = ['Equal', 'Exists'] as const;
export type TolerationOperator = (typeof TOLERATION_OPERATORS)[number];

export interface Toleration {
  /** Empty with operator Exists tolerates every taint. */
  readonly key: string;
  readonly operator: TolerationOperator;
  /** Empty when operator is Exists. */
  readonly value: string;
  /** Empty tolerates every effect. */
  readonly effect: TaintEffect | '';
}

export interface AcceleratorRequirement {
  /** The node must have at least one accelerator of these kinds (empty: none needed). */
  readonly required: readonly AcceleratorKind[];
  /** Kinds in order of preference among nodes that qualify. */
  readonly preferred: readonly AcceleratorKind[];
}

export interface ModelRequirements {
  readonly memoryBytes: number;
  readonly accelerator: AcceleratorRequirement;
  readonly nodeSelector: Labels;
  readonly tolerations: readonly Toleration[];
}

/** One model version as a user declares it. */
export interface ModelSpec extends ModelRef {
  readonly artifact: ModelArtifact;
  readonly format: ModelFormat;
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
  readonly requirements: ModelRequirements;
  readonly desiredReplicas: number;
}

export interface Model extends ModelSpec {
  readonly createRevision: number;
  readonly modRevision: number;
}

// ---------------------------------------------------------------- assignments

export const ASSIGNMENT_STATES = ['Pending', 'Loading', 'Ready', 'Failed'] as const;
export type AssignmentState = (typeof ASSIGNMENT_STATES)[number];

/** One replica of a model version placed on a node (at most one per pair). */
export interface Assignment {
  readonly model: ModelRef;
  readonly nodeId: string;
  readonly state: AssignmentState;
  readonly reason: string;
  /** Proposer's time of the last state change, ms since the epoch. */
  readonly timeMs: number;
  /** Term of the leader whose placement created it. */
  readonly placementTerm: number;
  readonly createRevision: number;
  readonly modRevision: number;
}

// ---------------------------------------------------------------- kv and members

export interface KvEntry {
  readonly namespace: string;
  readonly key: string;
  readonly value: Uint8Array;
  readonly createRevision: number;
  readonly modRevision: number;
  /** Number of puts since the key was (re)created; 1 after the first put. */
  readonly version: number;
}

export const MEMBER_ROLES = ['voter', 'learner'] as const;
export type MemberRole = (typeof MEMBER_ROLES)[number];

/** A Raft member as recorded from applied membership changes. */
export interface Member {
  readonly id: NodeId;
  readonly address: string;
  readonly role: MemberRole;
}

// ---------------------------------------------------------------- patterns

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const MODEL_NAME = /^[a-z0-9]([-a-z0-9._]*[a-z0-9])?$/;
const VERSION = /^[A-Za-z0-9]([A-Za-z0-9._+-]*[A-Za-z0-9])?$/;
const NODE_ID = /^[A-Za-z0-9]([A-Za-z0-9._:-]*[A-Za-z0-9])?$/;
const NO_CONTROL = /^[^\x00-\x1f\x7f]*$/;
const ADDRESS = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):([0-9]{1,5})$/;
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_PREFIX = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const CPU_ARCH = /^[a-z0-9_]+$/;
const CPU_FLAG = /^[A-Za-z0-9_.-]+$/;
const PROVIDER = /^[A-Za-z0-9_]+$/;
const SHA256 = /^[0-9a-f]{64}$/;
const SYMBOLIC_DIM = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const NO_NUL = /^[^\x00]*$/;
/** Largest concrete tensor dimension accepted. */
const TENSOR_DIM_MAX = 2 ** 31 - 1;

// ---------------------------------------------------------------- scalar validators

export function validateNodeId(value: unknown, path: Path = 'nodeId'): string {
  return readString(value, path, {
    lengthMin: 1,
    lengthMax: L.NODE_ID_LENGTH_MAX,
    pattern: NODE_ID,
    patternDescription: 'letters, digits, ".", "_", ":" or "-", starting and ending with a letter or digit',
  });
}

const NAMESPACE_RULE: StringRule = {
  lengthMin: 1,
  lengthMax: 63,
  pattern: DNS_LABEL,
  patternDescription: 'a DNS label (lowercase letters, digits and "-")',
};

export function validateNamespace(value: unknown, path: Path = 'namespace'): string {
  return readString(value, path, NAMESPACE_RULE);
}

export function validateTimeMs(value: unknown, path: Path = 'timeMs'): number {
  return readInteger(value, path, 0, L.TIME_MS_MAX);
}

export function validateReason(value: unknown, path: Path = 'reason'): string {
  return readString(value, path, { lengthMax: L.REASON_LENGTH_MAX });
}

export function validateAddress(value: unknown, path: Path = 'address'): string {
  const text = readString(value, path, {
    lengthMin: 1,
    lengthMax: L.ADDRESS_LENGTH_MAX,
    pattern: ADDRESS,
    patternDescription: 'host:port',
  });
  const port = Number(ADDRESS.exec(text)![2]);
  if (port < 1 || port > 65535) throw new ValidationError(path, 'port must be in [1, 65535]');
  return text;
}

function readFreeText(value: unknown, path: Path, lengthMax: number, lengthMin = 1): string {
  return readString(value, path, {
    lengthMin,
    lengthMax,
    pattern: NO_CONTROL,
    patternDescription: 'text without control characters',
  });
}

function readLabelKey(key: string, path: Path): string {
  const slash = key.indexOf('/');
  const prefix = slash < 0 ? '' : key.slice(0, slash);
  const name = slash < 0 ? key : key.slice(slash + 1);
  if (slash >= 0 && (prefix.length > L.LABEL_KEY_PREFIX_LENGTH_MAX || !LABEL_PREFIX.test(prefix))) {
    throw new ValidationError(path, 'key prefix must be a DNS subdomain of at most 253 characters');
  }
  if (name.length === 0 || name.length > L.LABEL_KEY_NAME_LENGTH_MAX || !LABEL_NAME.test(name)) {
    throw new ValidationError(
      path,
      'key name must be 1-63 letters, digits, "-", "_" or ".", alphanumeric at both ends',
    );
  }
  return key;
}

function readLabelValue(value: unknown, path: Path): string {
  const text = readString(value, path, { lengthMax: L.LABEL_VALUE_LENGTH_MAX });
  if (text !== '' && !LABEL_NAME.test(text)) {
    throw new ValidationError(path, 'must be empty or letters, digits, "-", "_" or ".", alphanumeric at both ends');
  }
  return text;
}

export function validateLabels(value: unknown, path: Path = 'labels'): Labels {
  return readStringMap(value, path, L.LABELS_MAX, readLabelKey, readLabelValue);
}

// ---------------------------------------------------------------- node validators

export function validateTaints(value: unknown, path: Path = 'taints'): Taint[] {
  const taints = readArray(value, path, L.TAINTS_MAX, (item, p) => {
    const r = readRecord(item, p, ['key', 'value', 'effect']);
    const key = readString(requiredField(r, 'key', p), join(p, 'key'), { lengthMax: 317 });
    return {
      key: readLabelKey(key, join(p, 'key')),
      value: readLabelValue(optionalField(r, 'value') ?? '', join(p, 'value')),
      effect: readOneOf(requiredField(r, 'effect', p), join(p, 'effect'), TAINT_EFFECTS),
    };
  });
  requireUnique(taints, path, (t) => `${t.key}:${t.effect}`);
  return taints;
}

function validateAccelerator(value: unknown, path: Path): Accelerator {
  const r = readRecord(value, path, ['kind', 'vendor', 'model', 'memoryBytes', 'tops']);
  return {
    kind: readOneOf(requiredField(r, 'kind', path), join(path, 'kind'), ACCELERATOR_KINDS),
    vendor: readFreeText(requiredField(r, 'vendor', path), join(path, 'vendor'), L.NAME_LENGTH_MAX),
    model: readFreeText(requiredField(r, 'model', path), join(path, 'model'), L.FREE_TEXT_LENGTH_MAX),
    memoryBytes: readInteger(
      optionalField(r, 'memoryBytes') ?? 0,
      join(path, 'memoryBytes'),
      0,
      Number.MAX_SAFE_INTEGER,
    ),
    tops: readNumber(optionalField(r, 'tops') ?? 0, join(path, 'tops'), 0, L.PERFORMANCE_FIGURE_MAX),
  };
}

function validateCpu(value: unknown, path: Path): CpuInfo {
  const r = readRecord(value, path, ['model', 'arch', 'cores', 'flags']);
  return {
    model: readFreeText(requiredField(r, 'model', path), join(path, 'model'), L.FREE_TEXT_LENGTH_MAX),
    arch: readString(requiredField(r, 'arch', path), join(path, 'arch'), {
      lengthMin: 1,
      lengthMax: 32,
      pattern: CPU_ARCH,
      patternDescription: 'lowercase letters, digits or "_" (e.g. x86_64, arm64)',
    }),
    cores: readInteger(requiredField(r, 'cores', path), join(path, 'cores'), 1, L.CPU_CORES_MAX),
    flags: readArray(optionalField(r, 'flags') ?? [], join(path, 'flags'), L.CPU_FLAGS_MAX, (item, p) =>
      readString(item, p, { lengthMin: 1, lengthMax: 64, pattern: CPU_FLAG, patternDescription: 'a CPU flag name' }),
    ),
  };
}

export function validateNodeCapabilities(value: unknown, path: Path = 'capabilities'): NodeCapabilities {
  const r = readRecord(value, path, ['cpu', 'memoryBytes', 'accelerators', 'executionProviders', 'computeScore']);
  const providersPath = join(path, 'executionProviders');
  const executionProviders = readArray(
    optionalField(r, 'executionProviders') ?? [],
    providersPath,
    L.EXECUTION_PROVIDERS_MAX,
    (item, p) =>
      readString(item, p, {
        lengthMin: 1,
        lengthMax: 64,
        pattern: PROVIDER,
        patternDescription: 'an execution provider name',
      }),
  );
  requireUnique(executionProviders, providersPath, (name) => name);
  return {
    cpu: validateCpu(requiredField(r, 'cpu', path), join(path, 'cpu')),
    memoryBytes: readInteger(
      requiredField(r, 'memoryBytes', path),
      join(path, 'memoryBytes'),
      0,
      Number.MAX_SAFE_INTEGER,
    ),
    accelerators: readArray(
      optionalField(r, 'accelerators') ?? [],
      join(path, 'accelerators'),
      L.ACCELERATORS_MAX,
      validateAccelerator,
    ),
    executionProviders,
    computeScore: readNumber(
      optionalField(r, 'computeScore') ?? 0,
      join(path, 'computeScore'),
      0,
      L.PERFORMANCE_FIGURE_MAX,
    ),
  };
}

export function validateNodeStatus(value: unknown, path: Path = 'status'): NodeStatus {
  const r = readRecord(value, path, ['condition', 'reason', 'timeMs']);
  return {
    condition: readOneOf(requiredField(r, 'condition', path), join(path, 'condition'), NODE_CONDITIONS),
    reason: validateReason(optionalField(r, 'reason') ?? '', join(path, 'reason')),
    timeMs: validateTimeMs(requiredField(r, 'timeMs', path), join(path, 'timeMs')),
  };
}

export function validateNodeRegistration(value: unknown, path: Path = 'node'): NodeRegistration {
  const r = readRecord(value, path, ['id', 'name', 'address', 'labels', 'capabilities']);
  const id = validateNodeId(requiredField(r, 'id', path), join(path, 'id'));
  return {
    id,
    name: readFreeText(optionalField(r, 'name') ?? id, join(path, 'name'), L.NAME_LENGTH_MAX),
    address: validateAddress(requiredField(r, 'address', path), join(path, 'address')),
    labels: validateLabels(optionalField(r, 'labels') ?? {}, join(path, 'labels')),
    capabilities: validateNodeCapabilities(requiredField(r, 'capabilities', path), join(path, 'capabilities')),
  };
}

// ---------------------------------------------------------------- model validators

export function validateModelRef(value: unknown, path: Path = 'model'): ModelRef {
  const r = readRecord(value, path, ['namespace', 'name', 'version']);
  return readModelRefFields(r, path);
}

function readModelRefFields(r: Readonly<Record<string, unknown>>, path: Path): ModelRef {
  return {
    namespace: validateNamespace(requiredField(r, 'namespace', path), join(path, 'namespace')),
    name: readString(requiredField(r, 'name', path), join(path, 'name'), {
      lengthMin: 1,
      lengthMax: L.NAME_LENGTH_MAX,
      pattern: MODEL_NAME,
      patternDescription: 'lowercase letters, digits, "-", "_" or ".", alphanumeric at both ends',
    }),
    version: readString(requiredField(r, 'version', path), join(path, 'version'), {
      lengthMin: 1,
      lengthMax: 64,
      pattern: VERSION,
      patternDescription: 'letters, digits, ".", "_", "+" or "-", alphanumeric at both ends',
    }),
  };
}

function validateTensor(value: unknown, path: Path): TensorSpec {
  const r = readRecord(value, path, ['name', 'dataType', 'shape']);
  return {
    name: readFreeText(requiredField(r, 'name', path), join(path, 'name'), L.FREE_TEXT_LENGTH_MAX),
    dataType: readOneOf(requiredField(r, 'dataType', path), join(path, 'dataType'), TENSOR_DATA_TYPES),
    shape: readArray(optionalField(r, 'shape') ?? [], join(path, 'shape'), L.TENSOR_DIMS_MAX, (dim, p) =>
      typeof dim === 'string'
        ? readString(dim, p, {
            lengthMin: 1,
            lengthMax: 64,
            pattern: SYMBOLIC_DIM,
            patternDescription: 'a symbolic dimension name',
          })
        : readInteger(dim, p, -1, TENSOR_DIM_MAX),
    ),
  };
}

function validateTensors(value: unknown, path: Path): TensorSpec[] {
  const tensors = readArray(value, path, L.TENSORS_MAX, validateTensor);
  requireUnique(tensors, path, (t) => t.name);
  return tensors;
}

function validateToleration(value: unknown, path: Path): Toleration {
  const r = readRecord(value, path, ['key', 'operator', 'value', 'effect']);
  const operator = readOneOf(optionalField(r, 'operator') ?? 'Equal', join(path, 'operator'), TOLERATION_OPERATORS);
  const rawKey = readString(optionalField(r, 'key') ?? '', join(path, 'key'), { lengthMax: 317 });
  if (rawKey === '' && operator !== 'Exists')
    throw new ValidationError(join(path, 'key'), 'may be empty only with operator Exists');
  const key = rawKey === '' ? '' : readLabelKey(rawKey, join(path, 'key'));
  const tolerationValue = readLabelValue(optionalField(r, 'value') ?? '', join(path, 'value'));
  if (operator === 'Exists' && tolerationValue !== '')
    throw new ValidationError(join(path, 'value'), 'must be empty with operator Exists');
  const rawEffect = optionalField(r, 'effect') ?? '';
  const effect = rawEffect === '' ? '' : readOneOf(rawEffect, join(path, 'effect'), TAINT_EFFECTS);
  return { key, operator, value: tolerationValue, effect };
}

function readKinds(value: unknown, path: Path): AcceleratorKind[] {
  const kinds = readArray(value ?? [], path, ACCELERATOR_KINDS.length, (item, p) =>
    readOneOf(item, p, ACCELERATOR_KINDS),
  );
  requireUnique(kinds, path, (k) => k);
  return kinds;
}

export function validateModelRequirements(value: unknown, path: Path = 'requirements'): ModelRequirements {
  const r = readRecord(value, path, ['memoryBytes', 'accelerator', 'nodeSelector', 'tolerations']);
  const acceleratorPath = join(path, 'accelerator');
  const accel = readRecord(optionalField(r, 'accelerator') ?? {}, acceleratorPath, ['required', 'preferred']);
  return {
    memoryBytes: readInteger(
      optionalField(r, 'memoryBytes') ?? 0,
      join(path, 'memoryBytes'),
      0,
      Number.MAX_SAFE_INTEGER,
    ),
    accelerator: {
      required: readKinds(optionalField(accel, 'required'), join(acceleratorPath, 'required')),
      preferred: readKinds(optionalField(accel, 'preferred'), join(acceleratorPath, 'preferred')),
    },
    nodeSelector: validateLabels(optionalField(r, 'nodeSelector') ?? {}, join(path, 'nodeSelector')),
    tolerations: readArray(
      optionalField(r, 'tolerations') ?? [],
      join(path, 'tolerations'),
      L.TOLERATIONS_MAX,
      validateToleration,
    ),
  };
}

export function validateDesiredReplicas(value: unknown, path: Path = 'desiredReplicas'): number {
  return readInteger(value, path, 0, L.REPLICAS_MAX);
}

export function validateModelSpec(value: unknown, path: Path = 'model'): ModelSpec {
  const r = readRecord(value, path, [
    'namespace',
    'name',
    'version',
    'artifact',
    'format',
    'inputs',
    'outputs',
    'requirements',
    'desiredReplicas',
  ]);
  const artifactPath = join(path, 'artifact');
  const artifact = readRecord(requiredField(r, 'artifact', path), artifactPath, ['sha256', 'sizeBytes']);
  return {
    ...readModelRefFields(r, path),
    artifact: {
      sha256: readString(requiredField(artifact, 'sha256', artifactPath), join(artifactPath, 'sha256'), {
        lengthMin: 64,
        lengthMax: 64,
        pattern: SHA256,
        patternDescription: '64 lowercase hex digits',
      }),
      sizeBytes: readInteger(
        requiredField(artifact, 'sizeBytes', artifactPath),
        join(artifactPath, 'sizeBytes'),
        1,
        Number.MAX_SAFE_INTEGER,
      ),
    },
    format: readOneOf(optionalField(r, 'format') ?? 'onnx', join(path, 'format'), MODEL_FORMATS),
    inputs: validateTensors(optionalField(r, 'inputs') ?? [], join(path, 'inputs')),
    outputs: validateTensors(optionalField(r, 'outputs') ?? [], join(path, 'outputs')),
    requirements: validateModelRequirements(optionalField(r, 'requirements') ?? {}, join(path, 'requirements')),
    desiredReplicas: validateDesiredReplicas(optionalField(r, 'desiredReplicas') ?? 1, join(path, 'desiredReplicas')),
  };
}

// ---------------------------------------------------------------- kv validators

/** Every kv write validates its key on every replica: one rule object, not one per call. */
const KV_KEY_RULE: StringRule = {
  lengthMin: 1,
  lengthMax: L.KV_KEY_BYTES_MAX,
  pattern: NO_NUL,
  patternDescription: 'a string without NUL characters',
};

export function validateKvKey(value: unknown, path: Path = 'key', lengthMin = 1): string {
  const key = readString(value, path, lengthMin === 1 ? KV_KEY_RULE : { ...KV_KEY_RULE, lengthMin });
  if (Buffer.byteLength(key, 'utf8') > L.KV_KEY_BYTES_MAX) {
    throw new ValidationError(path, `must be at most ${L.KV_KEY_BYTES_MAX} bytes of UTF-8`);
  }
  return key;
}

export function validateKvValue(value: unknown, path: Path = 'value'): Uint8Array {
  return readBytes(value, path, L.KV_VALUE_BYTES_MAX);
}

// ---------------------------------------------------------------- display keys

/** "namespace/name/version": the model's key in watch events and messages. */
export function modelRefText(ref: ModelRef): string {
  return `${ref.namespace}/${ref.name}/${ref.version}`;
}

/** "nodeId/namespace/name/version": an assignment's key in watch events (prefix by node). */
export function assignmentText(nodeId: string, ref: ModelRef): string {
  return `${nodeId}/${modelRefText(ref)}`;
}
