/**
 * The Model resource as edgectl shows and applies it:
 *
 *   apiVersion: edgernetes.ai/v1
 *   kind: Model
 *   metadata: {namespace, name, version}        # a model version's identity
 *   spec: {artifact: {sha256, sizeBytes}, format, inputs, outputs, requirements, desiredReplicas}
 *
 * Output adds metadata.createRevision/modRevision (set by the cluster, ignored
 * when applied), so `model get -o yaml` can be edited and applied back.
 * Spec words and shapes are the state machine's (src/fsm/types.ts).
 */
import type * as F from '../../../fsm/types.js';
import type { DeepPartial, Model, ModelRequirements, ModelSpec, TensorSpec } from '../../../gen/edgernetes/api/v1/models.js';
import type { Rendered } from '../output.js';
import { acceleratorKindWords, modelFormatWords, taintEffectWords, tensorDataTypeWords, tolerationOperatorWords } from './words.js';

export const API_VERSION = 'edgernetes.ai/v1';

export function modelRefText(m: { namespace: string; name: string; version: string }): string {
  return `${m.namespace}/${m.name}/${m.version}`;
}

// ---------------------------------------------------------------- proto → document

function tensorDocument(t: TensorSpec) {
  return { name: t.name, dataType: tensorDataTypeWords.word(t.dataType), shape: t.shape.map((d) => d.dim?.value ?? null) };
}

export function requirementsDocument(r: ModelRequirements | undefined) {
  return {
    memoryBytes: r?.memoryBytes ?? 0,
    accelerator: {
      required: (r?.accelerator?.required ?? []).map((k) => acceleratorKindWords.word(k)),
      preferred: (r?.accelerator?.preferred ?? []).map((k) => acceleratorKindWords.word(k)),
    },
    nodeSelector: { ...(r?.nodeSelector ?? {}) },
    tolerations: (r?.tolerations ?? []).map((t) => ({
      key: t.key,
      operator: tolerationOperatorWords.word(t.operator),
      value: t.value,
      effect: taintEffectWords.word(t.effect),
    })),
  };
}

export function modelDocument(m: Model) {
  return {
    apiVersion: API_VERSION,
    kind: 'Model',
    metadata: { namespace: m.namespace, name: m.name, version: m.version, createRevision: m.createRevision, modRevision: m.modRevision },
    spec: {
      artifact: { sha256: m.artifact?.sha256 ?? '', sizeBytes: m.artifact?.sizeBytes ?? 0 },
      format: modelFormatWords.word(m.format),
      inputs: m.inputs.map(tensorDocument),
      outputs: m.outputs.map(tensorDocument),
      requirements: requirementsDocument(m.requirements),
      desiredReplicas: m.desiredReplicas,
    },
  };
}

const MODEL_HEAD = ['NAMESPACE', 'NAME', 'VERSION', 'FORMAT', 'REPLICAS', 'MEMORY', 'ACCELERATOR', 'ARTIFACT'];

function modelRow(m: Model): string[] {
  const required = (m.requirements?.accelerator?.required ?? []).map((k) => acceleratorKindWords.word(k));
  return [
    m.namespace,
    m.name,
    m.version,
    modelFormatWords.word(m.format),
    String(m.desiredReplicas),
    bytesText(m.requirements?.memoryBytes ?? 0),
    required.length === 0 ? '-' : required.join(','),
    `sha256:${(m.artifact?.sha256 ?? '').slice(0, 12)}`,
  ];
}

export function modelsView(models: readonly Model[], more: boolean): Rendered {
  return {
    document: { apiVersion: API_VERSION, kind: 'List', items: models.map(modelDocument), more },
    table: { head: MODEL_HEAD, rows: models.map(modelRow), emptyText: 'No models found.' },
  };
}

export function modelView(model: Model): Rendered {
  return { document: modelDocument(model), table: { head: MODEL_HEAD, rows: [modelRow(model)] } };
}

/** 0 → "-"; else the largest binary unit that keeps the number at least 1 (e.g. 1.5Gi). */
export function bytesText(bytes: number): string {
  if (bytes === 0) return '-';
  const units = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${Number.isInteger(value) ? value : value.toFixed(1)}${units[unit]}`;
}

// ---------------------------------------------------------------- validated spec → proto

function tensorMessage(t: F.TensorSpec): DeepPartial<TensorSpec> {
  return {
    name: t.name,
    dataType: tensorDataTypeWords.value(t.dataType),
    shape: t.shape.map((d) => ({ dim: typeof d === 'string' ? { $case: 'symbol' as const, value: d } : { $case: 'size' as const, value: d } })),
  };
}

export function requirementsMessage(r: F.ModelRequirements): DeepPartial<ModelRequirements> {
  return {
    memoryBytes: r.memoryBytes,
    accelerator: {
      required: r.accelerator.required.map((k) => acceleratorKindWords.value(k)),
      preferred: r.accelerator.preferred.map((k) => acceleratorKindWords.value(k)),
    },
    nodeSelector: { ...r.nodeSelector },
    tolerations: r.tolerations.map((t) => ({
      key: t.key,
      operator: tolerationOperatorWords.value(t.operator),
      value: t.value,
      effect: t.effect === '' ? 0 : taintEffectWords.value(t.effect),
    })),
  };
}

export function modelSpecMessage(s: F.ModelSpec): DeepPartial<ModelSpec> {
  return {
    namespace: s.namespace,
    name: s.name,
    version: s.version,
    artifact: { sha256: s.artifact.sha256, sizeBytes: s.artifact.sizeBytes },
    format: modelFormatWords.value(s.format),
    inputs: s.inputs.map(tensorMessage),
    outputs: s.outputs.map(tensorMessage),
    requirements: requirementsMessage(s.requirements),
    desiredReplicas: s.desiredReplicas,
  };
}
