// Goal: conf change entries survive the log encoding, and malformed bytes are named errors.
import { describe, expect, it } from 'vitest';
import { decodeConfChange, encodeConfChange } from '../../../src/raft/core/confchange-codec.js';
import { ConfChangeType, nodeId } from '../../../src/raft/core/types.js';

describe('conf change codec', () => {
  it('round-trips every type, with and without context', () => {
    for (const type of [ConfChangeType.AddVoter, ConfChangeType.AddLearner, ConfChangeType.RemoveNode, ConfChangeType.PromoteLearner]) {
      for (const len of [0, 1, 2, 3, 4, 255]) {
        const context = Uint8Array.from({ length: len }, (_, i) => (i * 37 + 11) & 0xff);
        const cc = { type, nodeId: nodeId('n4'), context };
        const back = decodeConfChange(encodeConfChange(cc));
        expect(back.type).toBe(type);
        expect(back.nodeId).toBe('n4');
        expect(Array.from(back.context ?? [])).toEqual(Array.from(context));
      }
    }
  });
  it('rejects malformed input with a named error', () => {
    expect(() => decodeConfChange(new Uint8Array([0xff, 0xfe]))).toThrow(/malformed conf change entry: not UTF-8 JSON/);
    expect(() => decodeConfChange(new TextEncoder().encode('{"t":9,"n":"x"}'))).toThrow(/unknown type 9/);
    expect(() => decodeConfChange(new TextEncoder().encode('{"t":0}'))).toThrow(/missing node id/);
  });
});
