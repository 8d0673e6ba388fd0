// Goal: the pure conversions at the API edge keep their contracts — enum
// tables are total both ways, 0 means "unspecified" and unknown numbers are
// refused naming the field; watch batches are split into responses of whole
// revisions whose next_revision is always a safe place to resume. (The client's
// write queue is tested in test/client/write-queue.test.ts.)
// Method: direct calls, no sockets.
import { describe, expect, it } from 'vitest';
import { assignmentStates } from '../../src/api/convert-assignments.js';
import { modelFormats, tensorDataTypes, tolerationOperators } from '../../src/api/convert-models.js';
import { acceleratorKinds, nodeConditions, taintEffects } from '../../src/api/convert-nodes.js';
import { RESPONSE_BYTES_TARGET, batchResponses, watchKinds, watchOptions } from '../../src/api/convert-watch.js';
import type { EnumMap } from '../../src/api/convert-enums.js';
import {
  ACCELERATOR_KINDS,
  ASSIGNMENT_STATES,
  MODEL_FORMATS,
  NODE_CONDITIONS,
  TAINT_EFFECTS,
  TENSOR_DATA_TYPES,
  TOLERATION_OPERATORS,
  ValidationError,
  WATCH_KINDS,
  type WatchEvent,
} from '../../src/fsm/index.js';
import type { AcceleratorKind } from '../../src/gen/edgernetes/api/v1/nodes.js';
import { WatchKind } from '../../src/gen/edgernetes/api/v1/watch.js';

const tables: [string, EnumMap<number, string>, readonly string[]][] = [
  ['accelerator kinds', acceleratorKinds, ACCELERATOR_KINDS],
  ['node conditions', nodeConditions, NODE_CONDITIONS],
  ['taint effects', taintEffects, TAINT_EFFECTS],
  ['model formats', modelFormats, MODEL_FORMATS],
  ['tensor data types', tensorDataTypes, TENSOR_DATA_TYPES],
  ['toleration operators', tolerationOperators, TOLERATION_OPERATORS],
  ['assignment states', assignmentStates, ASSIGNMENT_STATES],
  ['watch kinds', watchKinds, WATCH_KINDS],
];

describe('enum tables', () => {
  it.each(tables)('%s map every fsm value to a distinct non-zero proto value and back', (_, map, values) => {
    const protoValues = values.map((v) => map.toProto(v));
    expect(new Set(protoValues).size).toBe(values.length);
    expect(protoValues).not.toContain(0);
    expect(protoValues.map((p, i) => map.toFsm(p, `f[${i}]`))).toEqual([...values]);
    expect(map.toFsm(0, 'f')).toBeUndefined();
  });

  it('refuses an unknown number naming the field and the accepted names', () => {
    const err = (() => {
      try {
        acceleratorKinds.toFsm(99 as AcceleratorKind, 'node.capabilities.accelerators[2].kind');
      } catch (e) {
        return e as ValidationError;
      }
      throw new Error('an unknown value was accepted');
    })();
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.field).toBe('node.capabilities.accelerators[2].kind');
    expect(err.message).toContain('ACCELERATOR_KIND_GPU');
  });

  it('turns a watch request into watcher options', () => {
    expect(watchOptions({ fromRevision: 7, kinds: [], keyPrefix: '' })).toEqual({ fromRevision: 7, keyPrefix: '' });
    expect(watchOptions({ fromRevision: 0, kinds: [WatchKind.WATCH_KIND_ASSIGNMENT], keyPrefix: 'edge-1/' })).toEqual({
      fromRevision: 0,
      kinds: ['assignment'],
      keyPrefix: 'edge-1/',
    });
    expect(() => watchOptions({ fromRevision: 0, kinds: [WatchKind.WATCH_KIND_UNSPECIFIED], keyPrefix: '' })).toThrow(/kinds\[0\]/);
  });
});

describe('watch responses', () => {
  const header = (revision: number) => ({ revision, memberId: 'n1', raftTerm: 3 });
  const kvEvent = (revision: number, key: string, valueBytes: number): WatchEvent => ({
    kind: 'kv',
    type: 'put',
    key: `ns/${key}`,
    revision,
    value: { namespace: 'ns', key, value: new Uint8Array(valueBytes), createRevision: revision, modRevision: revision, version: 1 },
  });

  it('puts small revisions in one response that resumes after the batch', () => {
    const responses = batchResponses(header, { events: [kvEvent(4, 'a', 10), kvEvent(6, 'b', 10)], revision: 9 });
    expect(responses).toHaveLength(1);
    expect(responses[0]).toMatchObject({ created: false, nextRevision: 10, header: { revision: 9 } });
    expect(responses[0]!.events.map((e) => e.revision)).toEqual([4, 6]);
  });

  it('splits large batches between revisions only, never inside one', () => {
    const big = Math.floor(RESPONSE_BYTES_TARGET * 0.6);
    const batch = { events: [kvEvent(5, 'a', big), kvEvent(5, 'b', big), kvEvent(6, 'c', big), kvEvent(8, 'd', big)], revision: 9 };
    const responses = batchResponses(header, batch);
    expect(responses.map((r) => r.events.map((e) => e.key))).toEqual([['ns/a', 'ns/b'], ['ns/c'], ['ns/d']]);
    // Resuming after any response loses nothing and repeats nothing.
    expect(responses.map((r) => r.nextRevision)).toEqual([6, 8, 10]);
    expect(responses.map((r) => r.header?.revision)).toEqual([5, 7, 9]);
  });
});
