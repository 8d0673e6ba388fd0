// Goal: manifests are validated completely before anything is sent, and every problem names the
// file, the 1-based document index and the field; valid documents become canonical resources.
// Also: the enum words edgectl prints and accepts are exactly the state machine's, both ways.
// Method: parseManifests on literal YAML/JSON texts; the word maps over every fsm word list.
import { describe, expect, it } from 'vitest';
import { ManifestError, UsageError } from '../../src/cli/edgectl/failure.js';
import { parseManifests } from '../../src/cli/edgectl/manifest.js';
import * as words from '../../src/cli/edgectl/resources/words.js';
import {
  ACCELERATOR_KINDS,
  ASSIGNMENT_STATES,
  MODEL_FORMATS,
  NODE_CONDITIONS,
  TAINT_EFFECTS,
  TENSOR_DATA_TYPES,
  TOLERATION_OPERATORS,
} from '../../src/fsm/types.js';

const SHA = 'c'.repeat(64);
const MODEL = `apiVersion: edgernetes.ai/v1
kind: Model
metadata: {name: resnet, version: "2.1"}
spec:
  artifact: {sha256: ${SHA}, sizeBytes: 10}
  requirements: {nodeSelector: {zone: a, arch: arm64}}
`;

function problem(text: string): ManifestError | UsageError {
  try {
    parseManifests(text, 'm.yaml');
  } catch (err) {
    if (err instanceof UsageError) return err;
    throw err;
  }
  throw new Error('expected the manifest to be refused');
}

describe('parseManifests', () => {
  it('returns canonical resources with defaults filled in', () => {
    const [model] = parseManifests(MODEL, 'm.yaml');
    expect(model).toMatchObject({ kind: 'Model', source: 'm.yaml', documentIndex: 1 });
    if (model?.kind !== 'Model') throw new Error('expected a Model');
    expect(model.spec).toMatchObject({ namespace: 'default', name: 'resnet', version: '2.1', format: 'onnx', desiredReplicas: 1 });
    expect(Object.keys(model.spec.requirements.nodeSelector)).toEqual(['arch', 'zone']);
  });

  it('accepts JSON and a Node that sets only labels', () => {
    const json = JSON.stringify({ apiVersion: 'edgernetes.ai/v1', kind: 'Node', metadata: { name: 'dev-1' }, spec: { labels: { a: 'b' } } });
    expect(parseManifests(json, 'n.json')).toEqual([{ kind: 'Node', source: 'n.json', documentIndex: 1, id: 'dev-1', labels: { a: 'b' } }]);
  });

  it.each([
    ['the YAML is broken', 'a: [1, 2', 1, '', /^invalid YAML: .*line 1/],
    ['a document is not a mapping', '- 1\n- 2', 1, '', /^must be a mapping with apiVersion, kind/],
    ['apiVersion is wrong', 'apiVersion: v1\nkind: Model', 1, 'apiVersion', /^must be "edgernetes.ai\/v1", got "v1"$/],
    ['kind is unknown', 'apiVersion: edgernetes.ai/v1\nkind: Pod', 1, 'kind', /^must be one of Model, Node, got "Pod"$/],
    ['the version is a YAML number', MODEL.replace('"2.1"', '2.1'), 1, 'metadata.version', /^must be a string \(in YAML, quote/],
    ['the second document has a bad tensor type', `${MODEL}---\n${MODEL.replace('resnet', 'other').replace('requirements:', 'inputs: [{name: x, dataType: f32, shape: [1]}]\n  requirements:')}`, 2, 'spec.inputs[0].dataType', /^must be one of float32, /],
    ['a taint effect is unknown', 'apiVersion: edgernetes.ai/v1\nkind: Node\nmetadata: {name: d}\nspec: {taints: [{key: k, effect: Sometimes}]}', 1, 'spec.taints[0].effect', /^must be one of NoSchedule, /],
    ['a Node spec sets nothing', 'apiVersion: edgernetes.ai/v1\nkind: Node\nmetadata: {name: d}\nspec: {}', 1, 'spec', /^must set labels or taints/],
    ['a resource appears twice', `${MODEL}---\n# nothing\n---\n${MODEL}`, 3, 'metadata', /^model default\/resnet\/2\.1 is also defined by document 1$/],
  ])('names the document and field when %s', (_, text, documentIndex, field, reason) => {
    const err = problem(text);
    expect(err).toBeInstanceOf(ManifestError);
    const e = err as ManifestError;
    expect([e.documentIndex, e.field]).toEqual([documentIndex, field]);
    expect(e.reason).toMatch(reason);
    expect(e.message).toBe(`m.yaml: document ${documentIndex}: ${field === '' ? '' : `${field}: `}${e.reason}`);
  });

  it('refuses a file with no resources', () => {
    const err = problem('# only a comment\n---\n');
    expect(err).not.toBeInstanceOf(ManifestError);
    expect(err.message).toBe('m.yaml: no resources found (every document is empty)');
  });
});

describe('enum words', () => {
  it.each([
    ['accelerator kinds', words.acceleratorKindWords, ACCELERATOR_KINDS],
    ['node conditions', words.nodeConditionWords, NODE_CONDITIONS],
    ['taint effects', words.taintEffectWords, TAINT_EFFECTS],
    ['model formats', words.modelFormatWords, MODEL_FORMATS],
    ['tensor data types', words.tensorDataTypeWords, TENSOR_DATA_TYPES],
    ['toleration operators', words.tolerationOperatorWords, TOLERATION_OPERATORS],
    ['assignment states', words.assignmentStateWords, ASSIGNMENT_STATES],
  ])('map every state-machine word of %s to a distinct proto value and back', (_, map, list) => {
    const values = list.map((word) => map.value(word));
    expect(new Set(values).size).toBe(list.length);
    expect(values.every((v) => v > 0)).toBe(true);
    expect(values.map((v) => map.word(v))).toEqual([...list]);
    expect(map.word(0)).toBe('');
    expect(map.word(999)).toBe('unknown(999)');
  });
});
