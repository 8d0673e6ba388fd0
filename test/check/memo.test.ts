// Goal: the memo recognises configurations met before, lets a finished configuration dominate
// those that used more indeterminate operations (and only finished ones), and stays bounded.
// Method: direct calls on small bitsets laid out as the search lays them out.
import { describe, expect, it } from 'vitest';
import { type BitsetShape, MEMO_SEEN, MEMO_UNRECORDED, MemoTable, normalizeShape } from '../../src/check/memo.js';

/** Bitset of 2 return words + 1 info word, with the canonical shape. */
function config(returnBits: number[], infoBits: number[]): { bits: Uint32Array; shape: BitsetShape } {
  const bits = new Uint32Array(3);
  for (const b of returnBits) bits[b >>> 5] |= 1 << (b & 31);
  for (const b of infoBits) bits[2] |= 1 << b;
  const shape = { returnLead: 0, returnEnd: 2, infoLead: 0, infoEnd: 1 };
  normalizeShape(bits, shape, 2, 2, 1);
  return { bits, shape };
}

describe('MemoTable', () => {
  it('recognises a configuration met before, by state and aux too', () => {
    const memo = new MemoTable(4);
    const c = config([0, 1, 40], []);
    expect(memo.insert(7, 3, -1, c.bits, c.shape, 2)).toBeGreaterThan(0);
    expect(memo.insert(7, 3, -1, c.bits, c.shape, 2)).toBe(MEMO_SEEN);
    expect(memo.insert(7, 4, -1, c.bits, c.shape, 2)).toBeGreaterThan(0);
    expect(memo.insert(7, 3, 2, c.bits, c.shape, 2)).toBeGreaterThan(0);
    const d = config([0, 1, 41], []);
    expect(memo.insert(7, 3, -1, d.bits, d.shape, 2)).toBeGreaterThan(0);
    expect(memo.entryCount).toBe(4);
  });

  it('lets only finished entries dominate supersets of indeterminate operations', () => {
    const memo = new MemoTable(4);
    const fewer = config([0, 1], [2]);
    const more = config([0, 1], [2, 5]);
    const handle = memo.insert(9, 1, -1, fewer.bits, fewer.shape, 2);
    expect(memo.insert(9, 1, -1, more.bits, more.shape, 2)).toBeGreaterThan(0);
    memo.markFinished(handle);
    const evenMore = config([0, 1], [2, 5, 6]);
    expect(memo.insert(9, 1, -1, evenMore.bits, evenMore.shape, 2)).toBe(MEMO_SEEN);
    const other = config([0, 1], [5, 6]);
    expect(memo.insert(9, 1, -1, other.bits, other.shape, 2)).toBeGreaterThan(0);
  });

  it('grows, then stops recording at its limits while lookups still work', () => {
    const memo = new MemoTable(2, { entriesMax: 100, arenaWordsMax: 1 << 20 });
    for (let i = 0; i < 100; i++) {
      const c = config([i % 64], []);
      expect(memo.insert(i, i, -1, c.bits, c.shape, 2)).toBeGreaterThan(0);
    }
    const extra = config([3], []);
    expect(memo.insert(12345, 999, -1, extra.bits, extra.shape, 2)).toBe(MEMO_UNRECORDED);
    expect(memo.saturated).toBe(true);
    const known = config([5], []);
    expect(memo.insert(5, 5, -1, known.bits, known.shape, 2)).toBe(MEMO_SEEN);
  });

  it('normalizes shapes: leading full words skipped, trailing zero words trimmed', () => {
    const bits = new Uint32Array([0xffffffff, 0b101, 0, 0]);
    const shape = { returnLead: 0, returnEnd: 4, infoLead: 0, infoEnd: 0 };
    normalizeShape(bits, shape, 4, 4, 0);
    expect(shape).toEqual({ returnLead: 1, returnEnd: 2, infoLead: 0, infoEnd: 0 });
  });
});
