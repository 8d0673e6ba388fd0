/**
 * Goal: a replica applying its own proposals from the commands it validated
 * when encoding them (own-proposals.ts) computes what decoding the bytes
 * would: for every op kind the held command equals the decoded one; lookups
 * are by the bytes' identity only; the bound drops the oldest.
 */
import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { decodeCommand, encodeCommand } from '../../src/fsm/codec.js';
import { OP_KINDS, type Command, type Op } from '../../src/fsm/commands.js';
import { OwnProposals } from '../../src/fsm/own-proposals.js';
import { modelSpec, nodeReg, ref } from './helpers.js';

const raw = new Packr({ structuredClone: false, useRecords: false });

/** One op of every kind, with optional fields both present and absent across them. */
const OPS: readonly Op[] = [
  { kind: 'node.register', node: nodeReg('n1', { labels: { zone: 'b', arch: 'arm' } }), timeMs: 5 },
  { kind: 'node.updateCapabilities', id: 'n1', capabilities: nodeReg('n1').capabilities, expectedModRevision: 3 },
  { kind: 'node.setStatus', id: 'n1', status: { condition: 'Ready', reason: 'ok', timeMs: 9 } },
  { kind: 'node.setLabels', id: 'n1', labels: { b: '2', a: '1' } },
  { kind: 'node.setTaints', id: 'n1', taints: [{ key: 'gpu', value: 'busy', effect: 'NoSchedule' }], expectedModRevision: 4 },
  { kind: 'node.delete', id: 'n1' },
  { kind: 'model.create', model: modelSpec('resnet') },
  {
    kind: 'model.update',
    model: ref('resnet'),
    requirements: modelSpec('resnet').requirements,
    desiredReplicas: 2,
    expectedModRevision: 7,
  },
  { kind: 'model.delete', model: ref('resnet') },
  {
    kind: 'placement.apply',
    term: 2,
    basedOnRevision: 3,
    timeMs: 1,
    assign: [{ model: ref('resnet'), nodeId: 'n1' }],
    unassign: [{ model: ref('bert'), nodeId: 'n2' }],
  },
  { kind: 'assignment.setState', model: ref('resnet'), nodeId: 'n1', state: 'Ready', reason: '', timeMs: 8 },
  { kind: 'kv.put', namespace: 'default', key: 'a/b', value: new Uint8Array([1, 2, 3]) },
  { kind: 'kv.delete', namespace: 'default', key: 'a/b' },
  { kind: 'kv.deleteRange', namespace: 'ns', prefix: '', limit: 10 },
  { kind: 'kv.cas', namespace: 'ns', key: 'k', expect: { kind: 'value', value: new Uint8Array([9]) }, value: null },
];

/** Byte strings as plain Uint8Arrays (decoding yields Buffers; nothing in apply tells them apart). */
function plain(value: unknown): unknown {
  if (value instanceof Uint8Array) return new Uint8Array(value);
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}

describe('own proposals', () => {
  it('covers every op kind', () => {
    expect(new Set(OPS.map((op) => op.kind))).toEqual(new Set(OP_KINDS));
  });

  it.each(OPS.map((op) => [op.kind, op] as const))('%s: the held command equals the decoded bytes', (_kind, op) => {
    const proposals = new OwnProposals(8, 1 << 20);
    for (const command of [
      { v: 1, clientId: '', seq: 0, op },
      { v: 1, clientId: 'c1', seq: 5, firstUnackedSeq: 3, op },
    ] satisfies Command[]) {
      const bytes = proposals.encode(command);
      expect(bytes).toEqual(encodeCommand(command));
      const held = proposals.take(bytes);
      const decoded = decodeCommand(new Uint8Array(bytes)); // a copy: decoded, not looked up
      expect(decoded.ok).toBe(true);
      if (!decoded.ok) return;
      expect(plain(held)).toEqual(plain(decoded.command));
      // Same key order too (toEqual ignores it): records built from either encode to the same bytes.
      expect(raw.pack(plain(held))).toEqual(raw.pack(plain(decoded.command)));
    }
  });

  it('finds a command by its bytes object only, once', () => {
    const proposals = new OwnProposals(8, 1 << 20);
    const command: Command = { v: 1, clientId: '', seq: 0, op: OPS.find((op) => op.kind === 'kv.delete')! };
    const bytes = proposals.encode(command);
    expect(proposals.take(new Uint8Array(bytes))).toBeUndefined();
    expect(proposals.take(bytes)).toEqual(command);
    expect(proposals.take(bytes)).toBeUndefined();
    expect({ hits: proposals.hits, held: proposals.size }).toEqual({ hits: 1, held: 0 });
  });

  it('holds at most its bound, dropping the oldest', () => {
    const proposals = new OwnProposals(3, 1 << 20);
    const all = Array.from({ length: 5 }, (_, i) =>
      proposals.encode({ v: 1, clientId: '', seq: 0, op: { kind: 'kv.delete', namespace: 'ns', key: `k${i}` } }),
    );
    expect(proposals.size).toBe(3);
    expect(proposals.take(all[0]!)).toBeUndefined();
    expect(proposals.take(all[1]!)).toBeUndefined();
    expect(all.slice(2).map((b) => proposals.take(b)?.op)).toEqual(
      [2, 3, 4].map((i) => ({ kind: 'kv.delete', namespace: 'ns', key: `k${i}` })),
    );
  });

  it('holds at most its bytes bound, dropping the oldest, and forgets a failed proposal', () => {
    const put = (i: number, valueBytes: number): Command => ({
      v: 1,
      clientId: '',
      seq: 0,
      op: { kind: 'kv.put', namespace: 'ns', key: `k${i}`, value: new Uint8Array(valueBytes) },
    });
    const proposals = new OwnProposals(100, 3_000);
    const first = proposals.encode(put(1, 1_000));
    const second = proposals.encode(put(2, 1_000));
    expect(proposals.bytes).toBe(first.byteLength + second.byteLength);
    const third = proposals.encode(put(3, 1_000)); // over 3,000 bytes: the first goes
    expect(proposals.take(first)).toBeUndefined();
    expect(proposals.bytes).toBe(second.byteLength + third.byteLength);
    proposals.forget(second);
    proposals.forget(second); // twice is harmless
    expect(proposals.take(second)).toBeUndefined();
    expect({ held: proposals.size, bytes: proposals.bytes }).toEqual({ held: 1, bytes: third.byteLength });
    const huge = proposals.encode(put(4, 5_000)); // larger than the bound by itself: not held
    expect(proposals.take(huge)).toBeUndefined();
    expect({ held: proposals.size, bytes: proposals.bytes }).toEqual({ held: 0, bytes: 0 });
  });

  it('encodes nothing it refuses: invalid commands throw and are not held', () => {
    const proposals = new OwnProposals(3, 1 << 20);
    expect(() =>
      proposals.encode({ v: 1, clientId: '', seq: 0, op: { kind: 'kv.delete', namespace: 'Bad_NS', key: 'k' } }),
    ).toThrow(/namespace/);
    expect(proposals.size).toBe(0);
  });
});
