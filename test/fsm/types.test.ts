/**
 * Goal: every validator returns a canonical copy or throws a ValidationError
 * whose `field` is the dotted path of the offending part, so the API edge can
 * answer INVALID_ARGUMENT naming the field.
 * Method: valid inputs round-trip (with defaults filled and maps sorted);
 * one broken part at a time must be named precisely.
 */
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/fsm/errors.js';
import {
  validateAddress,
  validateKvKey,
  validateLabels,
  validateModelSpec,
  validateNodeRegistration,
  validateNodeStatus,
  validateTaints,
} from '../../src/fsm/types.js';
import { modelSpec, nodeReg } from './helpers.js';

function fieldOf(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    if (err instanceof ValidationError) return err.field;
    throw err;
  }
  throw new Error('expected a ValidationError');
}

describe('validators', () => {
  it('node registration: canonical copy with defaults', () => {
    const input = {
      id: 'edge-1',
      address: 'edge-1.local:7000',
      capabilities: { cpu: { model: 'x', arch: 'x86_64', cores: 4 }, memoryBytes: 1 },
    };
    const out = validateNodeRegistration(input);
    expect(out).toEqual({
      id: 'edge-1',
      name: 'edge-1',
      address: 'edge-1.local:7000',
      labels: {},
      capabilities: {
        cpu: { model: 'x', arch: 'x86_64', cores: 4, flags: [] },
        memoryBytes: 1,
        accelerators: [],
        executionProviders: [],
        computeScore: 0,
      },
    });
  });

  it.each([
    ['id', { ...nodeReg('n'), id: '-bad' }, 'node.id'],
    ['address without port', { ...nodeReg('n'), address: 'host' }, 'node.address'],
    [
      'cores',
      { ...nodeReg('n'), capabilities: { ...nodeReg('n').capabilities, cpu: { model: 'm', arch: 'arm64', cores: 0 } } },
      'node.capabilities.cpu.cores',
    ],
    [
      'arch',
      {
        ...nodeReg('n'),
        capabilities: { ...nodeReg('n').capabilities, cpu: { model: 'm', arch: 'ARM 64', cores: 1 } },
      },
      'node.capabilities.cpu.arch',
    ],
    [
      'accelerator tops',
      {
        ...nodeReg('n'),
        capabilities: {
          ...nodeReg('n').capabilities,
          accelerators: [{ kind: 'gpu', vendor: 'v', model: 'm', tops: -1 }],
        },
      },
      'node.capabilities.accelerators[0].tops',
    ],
    [
      'duplicate provider',
      { ...nodeReg('n'), capabilities: { ...nodeReg('n').capabilities, executionProviders: ['A', 'A'] } },
      'node.capabilities.executionProviders[1]',
    ],
    ['label value', { ...nodeReg('n'), labels: { zone: 'has space' } }, 'node.labels.zone'],
    ['unknown field', { ...nodeReg('n'), owner: 'me' }, 'node.owner'],
    [
      'memory not an integer',
      { ...nodeReg('n'), capabilities: { ...nodeReg('n').capabilities, memoryBytes: 1.5 } },
      'node.capabilities.memoryBytes',
    ],
  ])('node registration names the field: %s', (_name, input, field) => {
    expect(fieldOf(() => validateNodeRegistration(input))).toBe(field);
  });

  it.each([
    ['sha256', { ...modelSpec('m'), artifact: { sha256: 'XYZ', sizeBytes: 1 } }, 'model.artifact.sha256'],
    ['size', { ...modelSpec('m'), artifact: { sha256: 'a'.repeat(64), sizeBytes: 0 } }, 'model.artifact.sizeBytes'],
    ['format', { ...modelSpec('m'), format: 'tflite' }, 'model.format'],
    [
      'tensor type',
      { ...modelSpec('m'), inputs: [{ name: 'x', dataType: 'float128', shape: [] }] },
      'model.inputs[0].dataType',
    ],
    [
      'tensor dim',
      { ...modelSpec('m'), outputs: [{ name: 'y', dataType: 'float32', shape: [1, -2] }] },
      'model.outputs[0].shape[1]',
    ],
    ['replicas', { ...modelSpec('m'), desiredReplicas: 10_000 }, 'model.desiredReplicas'],
    [
      'required kind',
      { ...modelSpec('m'), requirements: { accelerator: { required: ['quantum'] } } },
      'model.requirements.accelerator.required[0]',
    ],
    [
      'toleration value with Exists',
      { ...modelSpec('m'), requirements: { tolerations: [{ key: 'k', operator: 'Exists', value: 'v' }] } },
      'model.requirements.tolerations[0].value',
    ],
    ['version', { ...modelSpec('m'), version: 'v 1' }, 'model.version'],
    ['namespace', { ...modelSpec('m'), namespace: 'UPPER' }, 'model.namespace'],
  ])('model spec names the field: %s', (_name, input, field) => {
    expect(fieldOf(() => validateModelSpec(input))).toBe(field);
  });

  it('model spec fills defaults', () => {
    const out = validateModelSpec({
      namespace: 'default',
      name: 'm',
      version: '1',
      artifact: { sha256: 'b'.repeat(64), sizeBytes: 5 },
    });
    expect(out).toMatchObject({
      format: 'onnx',
      inputs: [],
      outputs: [],
      desiredReplicas: 1,
      requirements: { memoryBytes: 0, accelerator: { required: [], preferred: [] }, nodeSelector: {}, tolerations: [] },
    });
  });

  it('labels are sorted and keys follow the label syntax (prefix/name)', () => {
    expect(Object.keys(validateLabels({ 'b.io/x': '1', a: '' }))).toEqual(['a', 'b.io/x']);
    expect(fieldOf(() => validateLabels({ 'Bad.Prefix/x': '1' }))).toBe('labels.Bad.Prefix/x');
    expect(fieldOf(() => validateLabels({ ['x'.repeat(64)]: '1' }))).toBe(`labels.${'x'.repeat(64)}`);
  });

  it('taints: duplicates by key and effect are refused', () => {
    const taint = { key: 'k', value: 'v', effect: 'NoSchedule' };
    expect(fieldOf(() => validateTaints([taint, taint]))).toBe('taints[1]');
    expect(validateTaints([taint, { ...taint, effect: 'NoExecute' }])).toHaveLength(2);
  });

  it('status, address, kv key', () => {
    expect(fieldOf(() => validateNodeStatus({ condition: 'Maybe', timeMs: 1 }))).toBe('status.condition');
    expect(fieldOf(() => validateNodeStatus({ condition: 'Ready', timeMs: -1 }))).toBe('status.timeMs');
    expect(fieldOf(() => validateAddress('h:70000'))).toBe('address');
    expect(validateAddress('[::1]:7000')).toBe('[::1]:7000');
    expect(fieldOf(() => validateKvKey('é'.repeat(600)))).toBe('key');
    expect(fieldOf(() => validateKvKey('a\u0000b'))).toBe('key');
    expect(fieldOf(() => validateKvKey('\ud800'))).toBe('key');
  });
});
