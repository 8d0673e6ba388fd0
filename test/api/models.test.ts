// Goal: the Models service creates, reads, lists (by namespace and name, paged
// by cursor), updates and deletes model versions, keeps a version's artifact
// immutable, and refuses bad requests with the gRPC code issue 3 names
// (INVALID_ARGUMENT naming the field, ALREADY_EXISTS, NOT_FOUND,
// FAILED_PRECONDITION for an expected-revision mismatch).
// Method: a real 1-replica cluster in process driven through RegistryClient.
import { status as Code } from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RegistryClient } from '../../src/client/registry.js';
import { AcceleratorKind, TaintEffect } from '../../src/gen/edgernetes/api/v1/nodes.js';
import { ModelFormat, ModelsClient, TensorDataType, TolerationOperator } from '../../src/gen/edgernetes/api/v1/models.js';
import type { Replica } from '../../src/server/replica.js';
import { SHA, clientOf, expectFailure, expectInvalid, modelSpec, rawUnary, size, startSingle, stopAll, symbol } from './helpers.js';

const ref = (namespace: string, name: string, version: string) => ({ namespace, name, version });
const NPU = AcceleratorKind.ACCELERATOR_KIND_NPU;
const EXISTS = TolerationOperator.TOLERATION_OPERATOR_EXISTS;

describe('Models service', () => {
  let replica: Replica;
  let client: RegistryClient;

  beforeEach(async () => {
    replica = await startSingle();
    client = clientOf(replica);
  });
  afterEach(stopAll);

  it('creates a version with defaults and reads it back field for field', async () => {
    const requirements = {
      memoryBytes: 2 ** 30,
      accelerator: { required: [NPU], preferred: [NPU, AcceleratorKind.ACCELERATOR_KIND_GPU] },
      nodeSelector: { zone: 'lab' },
      tolerations: [
        { key: 'gpu', operator: TolerationOperator.TOLERATION_OPERATOR_EQUAL, value: 'busy', effect: TaintEffect.TAINT_EFFECT_NO_SCHEDULE },
        { operator: EXISTS },
      ],
    };
    const created = await client.createModel(modelSpec('vision', 'yolo', '8.1', { requirements }));
    const { model } = await client.getModel(ref('vision', 'yolo', '8.1'));
    expect(model).toEqual({
      namespace: 'vision',
      name: 'yolo',
      version: '8.1',
      artifact: { sha256: SHA, sizeBytes: 1234 },
      format: ModelFormat.MODEL_FORMAT_ONNX, // defaulted
      inputs: [{ name: 'images', dataType: TensorDataType.TENSOR_DATA_TYPE_FLOAT32, shape: [symbol('batch'), size(3)] }],
      outputs: [{ name: 'logits', dataType: TensorDataType.TENSOR_DATA_TYPE_FLOAT32, shape: [size(-1)] }],
      requirements: {
        ...requirements,
        // Unset fields of the second toleration come back as their defaults ('' and UNSPECIFIED: every effect).
        tolerations: [requirements.tolerations[0], { key: '', operator: EXISTS, value: '', effect: TaintEffect.TAINT_EFFECT_UNSPECIFIED }],
      },
      desiredReplicas: 1, // defaulted
      createRevision: created.modRevision,
      modRevision: created.modRevision,
    });
  });

  it('answers ALREADY_EXISTS for a second create of the same version', async () => {
    await client.createModel(modelSpec('vision', 'yolo', '1'));
    const again = client.createModel(modelSpec('vision', 'yolo', '1', { desiredReplicas: 3 }));
    await expectFailure(again, Code.ALREADY_EXISTS, 'vision/yolo/1 already exists');
    expect((await client.getModel(ref('vision', 'yolo', '1'))).model?.desiredReplicas).toBe(1);
  });

  it('lists by namespace and by name, paged by cursor', async () => {
    const versions = [['audio', 'whisper', '1'], ['vision', 'resnet', '1'], ['vision', 'yolo', '1'], ['vision', 'yolo', '2'], ['vision', 'yolo', '3']];
    for (const [namespace, name, version] of versions) await client.createModel(modelSpec(namespace!, name!, version!));
    const all = await client.listModels();
    expect(all.models).toHaveLength(5);
    const yolo: string[] = [];
    let cursor = '';
    for (let pages = 0; pages < 5; pages++) {
      const page = await client.listModels({ namespace: 'vision', name: 'yolo' }, { limit: 2, cursor });
      yolo.push(...page.models.map((m) => m.version));
      cursor = page.nextCursor;
      if (cursor === '') break;
    }
    expect(yolo).toEqual(['1', '2', '3']);
    expect((await client.listModels({ namespace: 'vision' })).models.map((m) => m.name)).toEqual(['resnet', 'yolo', 'yolo', 'yolo']);
    await expectFailure(client.listModels({ name: 'yolo' }), Code.INVALID_ARGUMENT, 'namespace', 'required with name');
    await expectFailure(client.listModels({ namespace: 'Vision' }), Code.INVALID_ARGUMENT, 'namespace');
    // A cursor into the audio namespace does not continue a list of vision models.
    const firstOfAll = await client.listModels({}, { limit: 1 });
    expect(firstOfAll.models[0]?.namespace).toBe('audio');
    const foreign = client.listModels({ namespace: 'vision' }, { cursor: firstOfAll.nextCursor });
    await expectFailure(foreign, Code.INVALID_ARGUMENT, 'cursor', 'does not belong');
  });

  it('updates requirements and replicas, conditionally on the revision', async () => {
    const created = await client.createModel(modelSpec('vision', 'yolo', '1'));
    const updated = await client.updateModel(ref('vision', 'yolo', '1'), { memoryBytes: 512 }, 0, { expectedModRevision: created.modRevision });
    await expectFailure(
      client.updateModel(ref('vision', 'yolo', '1'), {}, 4, { expectedModRevision: created.modRevision }),
      Code.FAILED_PRECONDITION,
      `modRevision ${updated.modRevision}, not the expected ${created.modRevision}`,
    );
    const { model } = await client.getModel(ref('vision', 'yolo', '1'));
    expect(model).toMatchObject({
      desiredReplicas: 0,
      requirements: { memoryBytes: 512 },
      modRevision: updated.modRevision,
      createRevision: created.modRevision,
    });
    await expectFailure(client.updateModel(ref('vision', 'nope', '1'), {}, 1), Code.NOT_FOUND, 'vision/nope/1 does not exist');
  });

  it('deletes a version; later reads and deletes answer NOT_FOUND', async () => {
    await client.createModel(modelSpec('vision', 'yolo', '1'));
    const { model } = await client.getModel(ref('vision', 'yolo', '1'));
    const stale = { expectedModRevision: model!.modRevision + 1 };
    await expectFailure(client.deleteModel(ref('vision', 'yolo', '1'), stale), Code.FAILED_PRECONDITION, 'not the expected');
    expect((await client.deleteModel(ref('vision', 'yolo', '1'))).assignmentsDeleted).toBe(0);
    await expectFailure(client.getModel(ref('vision', 'yolo', '1')), Code.NOT_FOUND, 'model vision/yolo/1 does not exist');
    await expectFailure(client.deleteModel(ref('vision', 'yolo', '1')), Code.NOT_FOUND);
  });

  it('names the offending field in every INVALID_ARGUMENT', async () => {
    const create = (extra: object) => client.createModel(modelSpec('ns', 'm', '1', extra));
    const update = (request: object) =>
      rawUnary(replica, ModelsClient, (c) => c.update, { model: ref('ns', 'm', '1'), expectedModRevision: 0, ...request });
    await expectInvalid([
      ['model.artifact.sha256', () => create({ artifact: { sha256: 'XYZ', sizeBytes: 1 } })],
      ['model.artifact', () => client.createModel({ ...modelSpec('ns', 'm', '1'), artifact: undefined })],
      ['model.namespace', () => client.createModel(modelSpec('Not_A_Label', 'm', '1'))],
      ['model.version', () => client.createModel(modelSpec('ns', 'm', ''))],
      ['model.inputs[0].shape[0]', () => create({ inputs: [{ name: 'x', dataType: TensorDataType.TENSOR_DATA_TYPE_INT8, shape: [{}] }] })],
      ['model.inputs[0].dataType', () => create({ inputs: [{ name: 'x' }] })],
      ['model.format', () => create({ format: 7 })],
      ['model.requirements.accelerator.required[0]', () => create({ requirements: { accelerator: { required: [42] } } })],
      ['model.requirements.tolerations[0].value', () => create({ requirements: { tolerations: [{ key: 'k', operator: EXISTS, value: 'v' }] } })],
      ['model.desiredReplicas', () => create({ desiredReplicas: 100_000 })],
      ['requirements', () => update({ desiredReplicas: 1 })],
      ['desiredReplicas', () => update({ requirements: { memoryBytes: 0, nodeSelector: {}, tolerations: [] } })],
      ['model.name', () => client.getModel(ref('ns', '', '1'))],
    ]);
    expect((await client.listModels()).models).toEqual([]);
  });
});
