/**
 * Models: proto messages ↔ src/fsm/types.ts (see convert-nodes.ts for the
 * inbound contract: reshape only, the fsm validators judge).
 */
import { ValidationError } from '../fsm/index.js';
import type * as F from '../fsm/index.js';
import {
  ModelFormat,
  TensorDataType,
  TolerationOperator,
  type Model,
  type ModelRef,
  type ModelRequirements,
  type ModelSpec,
  type TensorSpec,
} from '../gen/edgernetes/api/v1/models.js';
import { enumList, enumMap } from './convert-enums.js';
import { plainMap } from './convert-header.js';
import { acceleratorKinds, taintEffects } from './convert-nodes.js';

export const modelFormats = enumMap<ModelFormat, F.ModelFormat>(ModelFormat, { onnx: ModelFormat.MODEL_FORMAT_ONNX });

export const tensorDataTypes = enumMap<TensorDataType, F.TensorDataType>(TensorDataType, {
  float32: TensorDataType.TENSOR_DATA_TYPE_FLOAT32,
  float16: TensorDataType.TENSOR_DATA_TYPE_FLOAT16,
  bfloat16: TensorDataType.TENSOR_DATA_TYPE_BFLOAT16,
  float64: TensorDataType.TENSOR_DATA_TYPE_FLOAT64,
  int8: TensorDataType.TENSOR_DATA_TYPE_INT8,
  int16: TensorDataType.TENSOR_DATA_TYPE_INT16,
  int32: TensorDataType.TENSOR_DATA_TYPE_INT32,
  int64: TensorDataType.TENSOR_DATA_TYPE_INT64,
  uint8: TensorDataType.TENSOR_DATA_TYPE_UINT8,
  uint16: TensorDataType.TENSOR_DATA_TYPE_UINT16,
  uint32: TensorDataType.TENSOR_DATA_TYPE_UINT32,
  uint64: TensorDataType.TENSOR_DATA_TYPE_UINT64,
  bool: TensorDataType.TENSOR_DATA_TYPE_BOOL,
  string: TensorDataType.TENSOR_DATA_TYPE_STRING,
});

export const tolerationOperators = enumMap<TolerationOperator, F.TolerationOperator>(TolerationOperator, {
  Equal: TolerationOperator.TOLERATION_OPERATOR_EQUAL,
  Exists: TolerationOperator.TOLERATION_OPERATOR_EXISTS,
});

// ---------------------------------------------------------------- inbound (unvalidated shapes)

/** A model reference for validateModelRef(…, path); absent stays absent ("is required"). */
export function refInput(ref: ModelRef | undefined): unknown {
  return ref === undefined ? undefined : { namespace: ref.namespace, name: ref.name, version: ref.version };
}

function tensorsInput(tensors: readonly TensorSpec[], path: string): unknown {
  return tensors.map((t, i) => ({
    name: t.name,
    dataType: tensorDataTypes.toFsm(t.dataType, `${path}[${i}].dataType`),
    shape: t.shape.map((d, j) => {
      if (d.dim === undefined) throw new ValidationError(`${path}[${i}].shape[${j}]`, 'one of size or symbol is required');
      return d.dim.value;
    }),
  }));
}

export function requirementsInput(r: ModelRequirements | undefined, path: string): unknown {
  if (r === undefined) return undefined;
  const accelerator = r.accelerator ?? { required: [], preferred: [] };
  return {
    memoryBytes: r.memoryBytes,
    accelerator: {
      required: enumList(acceleratorKinds, accelerator.required, `${path}.accelerator.required`),
      preferred: enumList(acceleratorKinds, accelerator.preferred, `${path}.accelerator.preferred`),
    },
    nodeSelector: plainMap(r.nodeSelector),
    tolerations: r.tolerations.map((t, i) => ({
      key: t.key,
      operator: tolerationOperators.toFsm(t.operator, `${path}.tolerations[${i}].operator`),
      value: t.value,
      effect: taintEffects.toFsm(t.effect, `${path}.tolerations[${i}].effect`) ?? '',
    })),
  };
}

/** A spec for validateModelSpec(…, path): format and desired replicas take their defaults when absent. */
export function specInput(m: ModelSpec | undefined, path: string): unknown {
  if (m === undefined) return undefined;
  return {
    namespace: m.namespace,
    name: m.name,
    version: m.version,
    artifact: m.artifact === undefined ? undefined : { sha256: m.artifact.sha256, sizeBytes: m.artifact.sizeBytes },
    format: modelFormats.toFsm(m.format, `${path}.format`),
    inputs: tensorsInput(m.inputs, `${path}.inputs`),
    outputs: tensorsInput(m.outputs, `${path}.outputs`),
    requirements: requirementsInput(m.requirements, `${path}.requirements`) ?? {},
    desiredReplicas: m.desiredReplicas,
  };
}

// ---------------------------------------------------------------- outbound

export function toRef(ref: F.ModelRef): ModelRef {
  return { namespace: ref.namespace, name: ref.name, version: ref.version };
}

function toTensor(t: F.TensorSpec): TensorSpec {
  return {
    name: t.name,
    dataType: tensorDataTypes.toProto(t.dataType),
    shape: t.shape.map((d) => ({ dim: typeof d === 'string' ? { $case: 'symbol', value: d } : { $case: 'size', value: d } })),
  };
}

function toRequirements(r: F.ModelRequirements): ModelRequirements {
  return {
    memoryBytes: r.memoryBytes,
    accelerator: {
      required: r.accelerator.required.map((k) => acceleratorKinds.toProto(k)),
      preferred: r.accelerator.preferred.map((k) => acceleratorKinds.toProto(k)),
    },
    nodeSelector: { ...r.nodeSelector },
    tolerations: r.tolerations.map((t) => ({
      key: t.key,
      operator: tolerationOperators.toProto(t.operator),
      value: t.value,
      effect: t.effect === '' ? 0 : taintEffects.toProto(t.effect),
    })),
  };
}

export function toModel(m: F.Model): Model {
  return {
    namespace: m.namespace,
    name: m.name,
    version: m.version,
    artifact: { sha256: m.artifact.sha256, sizeBytes: m.artifact.sizeBytes },
    format: modelFormats.toProto(m.format),
    inputs: m.inputs.map(toTensor),
    outputs: m.outputs.map(toTensor),
    requirements: toRequirements(m.requirements),
    desiredReplicas: m.desiredReplicas,
    createRevision: m.createRevision,
    modRevision: m.modRevision,
  };
}
