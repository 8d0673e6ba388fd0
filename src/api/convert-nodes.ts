/**
 * Nodes: proto messages ↔ src/fsm/types.ts.
 *
 * Inbound converters only reshape (enums to strings, empty to absent) and
 * report what only the proto encoding can get wrong (an unknown enum number,
 * an empty oneof). Their output goes through the state machine's own
 * validators, with paths named after the request's fields in proto3 JSON
 * spelling (e.g. `node.capabilities.accelerators[1].kind`), so the same rules
 * hold at the edge and on apply, and every INVALID_ARGUMENT names its field.
 */
import type * as F from '../fsm/index.js';
import {
  AcceleratorKind,
  NodeCondition,
  TaintEffect,
  type Accelerator,
  type Node,
  type NodeCapabilities,
  type NodeRegistration,
  type Taint,
} from '../gen/edgernetes/api/v1/nodes.js';
import { enumMap } from './convert-enums.js';
import { plainMap } from './convert-header.js';

export const acceleratorKinds = enumMap<AcceleratorKind, F.AcceleratorKind>(AcceleratorKind, {
  gpu: AcceleratorKind.ACCELERATOR_KIND_GPU,
  npu: AcceleratorKind.ACCELERATOR_KIND_NPU,
  tpu: AcceleratorKind.ACCELERATOR_KIND_TPU,
  dsp: AcceleratorKind.ACCELERATOR_KIND_DSP,
  vpu: AcceleratorKind.ACCELERATOR_KIND_VPU,
  fpga: AcceleratorKind.ACCELERATOR_KIND_FPGA,
  igpu: AcceleratorKind.ACCELERATOR_KIND_IGPU,
});

export const nodeConditions = enumMap<NodeCondition, F.NodeCondition>(NodeCondition, {
  Ready: NodeCondition.NODE_CONDITION_READY,
  NotReady: NodeCondition.NODE_CONDITION_NOT_READY,
  Unknown: NodeCondition.NODE_CONDITION_UNKNOWN,
});

export const taintEffects = enumMap<TaintEffect, F.TaintEffect>(TaintEffect, {
  NoSchedule: TaintEffect.TAINT_EFFECT_NO_SCHEDULE,
  PreferNoSchedule: TaintEffect.TAINT_EFFECT_PREFER_NO_SCHEDULE,
  NoExecute: TaintEffect.TAINT_EFFECT_NO_EXECUTE,
});

// ---------------------------------------------------------------- inbound (unvalidated shapes)

function capabilitiesInput(c: NodeCapabilities, path: string): unknown {
  return {
    cpu: c.cpu === undefined ? undefined : { model: c.cpu.model, arch: c.cpu.arch, cores: c.cpu.cores, flags: [...c.cpu.flags] },
    memoryBytes: c.memoryBytes,
    accelerators: c.accelerators.map((a: Accelerator, i) => ({
      kind: acceleratorKinds.toFsm(a.kind, `${path}.accelerators[${i}].kind`),
      vendor: a.vendor,
      model: a.model,
      memoryBytes: a.memoryBytes,
      tops: a.tops,
    })),
    executionProviders: [...c.executionProviders],
    computeScore: c.computeScore,
  };
}

/** A registration for validateNodeRegistration(…, path); an empty name means "use the id". */
export function registrationInput(n: NodeRegistration | undefined, path: string): unknown {
  if (n === undefined) return undefined;
  return {
    id: n.id,
    name: n.name === '' ? undefined : n.name,
    address: n.address,
    labels: plainMap(n.labels),
    capabilities: n.capabilities === undefined ? undefined : capabilitiesInput(n.capabilities, `${path}.capabilities`),
  };
}

export function taintsInput(taints: readonly Taint[], path: string): unknown {
  return taints.map((t, i) => ({ key: t.key, value: t.value, effect: taintEffects.toFsm(t.effect, `${path}[${i}].effect`) }));
}

// ---------------------------------------------------------------- outbound

function toCapabilities(c: F.NodeCapabilities): NodeCapabilities {
  return {
    cpu: { model: c.cpu.model, arch: c.cpu.arch, cores: c.cpu.cores, flags: [...c.cpu.flags] },
    memoryBytes: c.memoryBytes,
    accelerators: c.accelerators.map((a) => ({
      kind: acceleratorKinds.toProto(a.kind),
      vendor: a.vendor,
      model: a.model,
      memoryBytes: a.memoryBytes,
      tops: a.tops,
    })),
    executionProviders: [...c.executionProviders],
    computeScore: c.computeScore,
  };
}

export function toNode(n: F.EdgeNode): Node {
  return {
    id: n.id,
    name: n.name,
    address: n.address,
    labels: { ...n.labels },
    taints: n.taints.map((t) => ({ key: t.key, value: t.value, effect: taintEffects.toProto(t.effect) })),
    capabilities: toCapabilities(n.capabilities),
    status: { condition: nodeConditions.toProto(n.status.condition), reason: n.status.reason, timeMs: n.status.timeMs },
    createRevision: n.createRevision,
    modRevision: n.modRevision,
  };
}
