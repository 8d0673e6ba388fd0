/**
 * The set of resolved operations of a search, as the memo sees it: a bitset over slots, its
 * canonical compact shape, and a Zobrist hash of the slots that have a completion (updated in
 * O(1) per change; indeterminate slots stay out of the hash, which is the memo's dominance key).
 */
import type { CompiledKey } from './compiled-key.js';
import { type BitsetShape, MEMO_SEEN, type MemoTable, normalizeShape } from './memo.js';

export class ResolvedSet {
  private readonly bits: Uint32Array;
  private readonly shape: BitsetShape = { returnLead: 0, returnEnd: 0, infoLead: 0, infoEnd: 0 };
  private readonly infoBase: number;
  private readonly returnWords: number;
  private readonly infoWords: number;
  private zobrist = 0;

  constructor(key: CompiledKey) {
    this.bits = new Uint32Array(key.wordCount);
    this.infoBase = key.infoBase;
    this.returnWords = key.infoBase >>> 5;
    this.infoWords = key.wordCount - this.returnWords;
  }

  has(slot: number): boolean {
    return (this.bits[slot >>> 5] & (1 << (slot & 31))) !== 0;
  }

  /**
   * Adds `slot` and records the configuration (this set, state, aux) in the memo. Returns the
   * memo's handle (> 0, or 0 if unrecorded); or MEMO_SEEN, and then the set is left unchanged.
   */
  enter(memo: MemoTable, slot: number, state: number, aux: number): number {
    this.add(slot);
    normalizeShape(this.bits, this.shape, this.returnWords, this.returnWords, this.infoWords);
    const hash = mix32(this.zobrist ^ Math.imul(state + 1, 0x27d4eb2f) ^ Math.imul(aux + 2, 0x165667b1));
    const handle = memo.insert(hash, state, aux, this.bits, this.shape, this.returnWords);
    if (handle === MEMO_SEEN) this.remove(slot);
    return handle;
  }

  remove(slot: number): void {
    const word = slot >>> 5;
    this.bits[word] &= ~(1 << (slot & 31));
    // Shape hints: a lead may only be too small, so pull it back below a cleared word.
    if (slot < this.infoBase) {
      this.zobrist ^= slotHash(slot);
      if (word < this.shape.returnLead) this.shape.returnLead = word;
    } else {
      const infoWord = word - this.returnWords;
      if (infoWord < this.shape.infoLead) this.shape.infoLead = infoWord;
    }
  }

  private add(slot: number): void {
    const word = slot >>> 5;
    this.bits[word] |= 1 << (slot & 31);
    // Shape hints: an end may only be too large, so push it past a set word.
    if (slot < this.infoBase) {
      this.zobrist ^= slotHash(slot);
      if (word + 1 > this.shape.returnEnd) this.shape.returnEnd = word + 1;
    } else {
      const infoWord = word - this.returnWords;
      if (infoWord + 1 > this.shape.infoEnd) this.shape.infoEnd = infoWord + 1;
    }
  }
}

/** Zobrist value of a slot: a set's hash is the XOR over its members. */
function slotHash(slot: number): number {
  return mix32(Math.imul(slot, 0x9e3779b9) + 0x632be5ab);
}

/** murmur3's finalizer: a cheap, well-spread 32-bit mix. */
function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}
