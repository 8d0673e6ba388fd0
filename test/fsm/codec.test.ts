/**
 * Goal: command encoding is canonical and decoding is total — any byte string
 * becomes either a validated command or a named rejection, never an exception.
 * Method: round-trip valid commands; feed random bytes, wrong versions,
 * missing/unknown/mistyped fields and oversized values and check the rejection
 * code and the field it names.
 */
import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { decodeCommand, encodeCommand } from '../../src/fsm/codec.js';
import { validateCommand, type Command } from '../../src/fsm/commands.js';
import { CommandTooLargeError, ValidationError } from '../../src/fsm/errors.js';
import { COMMAND_BYTES_MAX, KV_VALUE_BYTES_MAX } from '../../src/fsm/limits.js';
import { Rand, modelSpec, nodeReg } from './helpers.js';

const packr = new Packr({ structuredClone: false, useRecords: false });

function decodeRaw(value: unknown) {
  return decodeCommand(packr.pack(value));
}

const kvPut: Command = {
  v: 1,
  clientId: 'c1',
  seq: 1,
  op: { kind: 'kv.put', namespace: 'default', key: 'a/b', value: new Uint8Array([1, 2]) },
};

describe('command codec', () => {
  it('round-trips every op kind through encode/decode', () => {
    const ops: Command['op'][] = [
      { kind: 'node.register', node: nodeReg('n1'), timeMs: 5 },
      { kind: 'node.setStatus', id: 'n1', status: { condition: 'Ready', reason: 'ok', timeMs: 9 } },
      { kind: 'model.create', model: modelSpec('resnet') },
      {
        kind: 'placement.apply',
        term: 2,
        basedOnRevision: 3,
        timeMs: 1,
        assign: [{ model: { namespace: 'default', name: 'resnet', version: '1' }, nodeId: 'n1' }],
        unassign: [],
      },
      { kind: 'kv.cas', namespace: 'ns', key: 'k', expect: { kind: 'modRevision', modRevision: 0 }, value: null },
      { kind: 'kv.deleteRange', namespace: 'ns', prefix: '', limit: 10 },
    ];
    for (const op of ops) {
      const decoded = decodeCommand(encodeCommand({ v: 1, clientId: '', seq: 0, op }));
      expect(decoded.ok).toBe(true);
      if (decoded.ok) expect(decoded.command.op.kind).toBe(op.kind);
    }
    const decoded = decodeCommand(encodeCommand(kvPut));
    expect(decoded).toEqual({ ok: true, command: { ...kvPut, op: { ...kvPut.op, value: Buffer.from([1, 2]) } } });
  });

  it('encodes equal commands to equal bytes whatever the map order (labels sorted)', () => {
    const a = encodeCommand({
      v: 1,
      clientId: '',
      seq: 0,
      op: { kind: 'node.setLabels', id: 'n1', labels: { b: '2', a: '1' } },
    });
    const b = encodeCommand({
      v: 1,
      clientId: '',
      seq: 0,
      op: { kind: 'node.setLabels', id: 'n1', labels: { a: '1', b: '2' } },
    });
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
  });

  it('never throws on random bytes and names the field', () => {
    const rand = new Rand(42);
    for (let i = 0; i < 2000; i++) {
      const decoded = decodeCommand(rand.bytes(1 + rand.int(64)));
      expect(decoded.ok).toBe(false);
      if (!decoded.ok) expect(['Invalid', 'UnsupportedVersion']).toContain(decoded.rejection.code);
    }
  });

  it('never throws on mutated valid commands (bit flips, truncation)', () => {
    const rand = new Rand(7);
    const valid = encodeCommand({
      v: 1,
      clientId: 'c',
      seq: 3,
      op: { kind: 'node.register', node: nodeReg('n1'), timeMs: 1 },
    });
    for (let i = 0; i < 2000; i++) {
      const copy = Uint8Array.from(valid.subarray(0, 1 + rand.int(valid.length)));
      copy[rand.int(copy.length)] ^= 1 << rand.int(8);
      const decoded = decodeCommand(copy);
      if (!decoded.ok) expect(decoded.rejection.field).toBeDefined();
    }
  });

  it('rejects a wrong version as UnsupportedVersion', () => {
    const decoded = decodeRaw({ ...kvPut, v: 2 });
    expect(decoded).toMatchObject({ ok: false, rejection: { code: 'UnsupportedVersion', field: 'v' } });
  });

  it.each([
    ['missing op', { v: 1, clientId: '', seq: 0 }, 'op'],
    ['unknown envelope field', { ...kvPut, extra: 1 }, 'extra'],
    ['unknown op kind', { ...kvPut, op: { kind: 'kv.explode' } }, 'op.kind'],
    ['unknown op field', { ...kvPut, op: { ...kvPut.op, ttl: 5 } }, 'op.ttl'],
    ['field of another op', { ...kvPut, op: { ...kvPut.op, labels: {} } }, 'op.labels'],
    ['missing value', { ...kvPut, op: { kind: 'kv.put', namespace: 'default', key: 'k' } }, 'op.value'],
    ['value not bytes', { ...kvPut, op: { ...kvPut.op, value: 'text' } }, 'op.value'],
    ['bad namespace', { ...kvPut, op: { ...kvPut.op, namespace: 'Bad_NS' } }, 'op.namespace'],
    ['empty key', { ...kvPut, op: { ...kvPut.op, key: '' } }, 'op.key'],
    ['seq without client', { ...kvPut, clientId: '', seq: 4 }, 'seq'],
    ['client without seq', { ...kvPut, seq: 0 }, 'seq'],
    ['float seq', { ...kvPut, seq: 1.5 }, 'seq'],
    ['op is an array', { ...kvPut, op: [] }, 'op'],
    ['envelope is a string', 'hello', ''],
    [
      'nested bad field',
      {
        v: 1,
        clientId: '',
        seq: 0,
        op: {
          kind: 'node.register',
          timeMs: 1,
          node: {
            ...nodeReg('n1'),
            capabilities: { ...nodeReg('n1').capabilities, accelerators: [{ kind: 'qpu', vendor: 'x', model: 'y' }] },
          },
        },
      },
      'op.node.capabilities.accelerators[0].kind',
    ],
  ])('rejects %s as Invalid naming the field', (_name, value, field) => {
    const decoded = decodeRaw(value);
    expect(decoded).toMatchObject({ ok: false, rejection: { code: 'Invalid', field } });
  });

  it('rejects an oversized kv value and oversized entry data', () => {
    const big = { ...kvPut, op: { ...kvPut.op, value: new Uint8Array(KV_VALUE_BYTES_MAX + 1) } };
    expect(decodeRaw(big)).toMatchObject({ ok: false, rejection: { code: 'Invalid', field: 'op.value' } });
    expect(decodeCommand(new Uint8Array(COMMAND_BYTES_MAX + 1))).toMatchObject({
      ok: false,
      rejection: { field: 'data' },
    });
    expect(() => encodeCommand(big as Command)).toThrow(ValidationError);
  });

  it('accepts a value of exactly 1 MiB', () => {
    const max = { ...kvPut, op: { ...kvPut.op, value: new Uint8Array(KV_VALUE_BYTES_MAX) } } as Command;
    expect(decodeCommand(encodeCommand(max)).ok).toBe(true);
  });

  it('encodeCommand refuses a command larger than an entry may be (CommandTooLargeError)', () => {
    // A CAS comparing and writing two large values is valid field by field but too big as a whole.
    const value = new Uint8Array(700 * 1024);
    const cas: Command = {
      v: 1,
      clientId: '',
      seq: 0,
      op: { kind: 'kv.cas', namespace: 'ns', key: 'k', expect: { kind: 'value', value }, value },
    };
    expect(() => encodeCommand(cas)).toThrow(CommandTooLargeError);
    const largestPut = {
      ...kvPut,
      op: { ...kvPut.op, key: 'k'.repeat(1024), value: new Uint8Array(KV_VALUE_BYTES_MAX) },
    } as Command;
    expect(encodeCommand(largestPut).byteLength).toBeLessThanOrEqual(COMMAND_BYTES_MAX);
  });

  it('validateCommand does not keep extra prototypes or aliases of the input', () => {
    const input = { v: 1, clientId: '', seq: 0, op: { kind: 'node.setLabels', id: 'n1', labels: { z: '1', a: '2' } } };
    const out = validateCommand(input);
    expect(out.op).not.toBe(input.op);
    expect(Object.keys((out.op as { labels: object }).labels)).toEqual(['a', 'z']);
    expect(() => validateCommand({ ...input, op: Object.assign(Object.create({ kind: 'kv.put' }), {}) })).toThrow(
      ValidationError,
    );
  });
});
