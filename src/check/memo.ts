/**
 * The memo of explored search configurations: (resolved operations, register state, aux word).
 * A configuration met again leads to the same future, which already failed, so the search need
 * not enter it twice (Lowe; porcupine).
 *
 * Dominance: with the same resolved operations that have a completion, the same state and aux,
 * a configuration that has used FEWER indeterminate operations can do everything the other can
 * (indeterminate operations may always be left unused). So once a configuration has finished
 * failing, every configuration that differs only by using more indeterminate operations fails
 * too. The hash covers only the dominance key (no indeterminate bits), so such configurations
 * sit in one probe chain. Only finished entries dominate: a configuration still on the search
 * stack has not failed yet.
 *
 * The resolved set is a bitset in two parts (operations with a completion; indeterminate ones).
 * Each part is stored compactly as (count of leading all-ones words, the words after them up to
 * the last non-zero word): the resolved operations with a completion form a long prefix plus a
 * short window of concurrent ones, so an entry costs a few words, not one bit per operation.
 *
 * Bounded: past its limits the table stops recording (lookups still work). The search stays
 * correct without the memo, only slower, and the caller's deadline still holds.
 */
import { assert } from './errors.js';

export interface MemoLimits {
  /** Most entries the table holds. */
  readonly entriesMax: number;
  /** Most 32-bit words the entry arena holds. */
  readonly arenaWordsMax: number;
}

export const DEFAULT_MEMO_LIMITS: MemoLimits = { entriesMax: 1 << 22, arenaWordsMax: 1 << 25 };

const FULL = 0xffffffff;
/** Entry layout in the arena: header, then the return-part words, then the info-part words. */
const STATE = 0;
const AUX = 1;
const RETURN_LEAD = 2;
const RETURN_LENGTH = 3;
const INFO_LEAD = 4;
const INFO_LENGTH = 5;
const FINISHED = 6;
const HEADER_WORDS = 7;

/** insert() results besides an entry handle (> 0). */
export const MEMO_SEEN = -1;
export const MEMO_UNRECORDED = 0;

/** Where the compact segments of the current bitset lie; set by the caller before a lookup. */
export interface BitsetShape {
  returnLead: number;
  returnEnd: number;
  infoLead: number;
  infoEnd: number;
}

export class MemoTable {
  private slots: Int32Array;
  private hashes: Int32Array;
  private arena: Uint32Array;
  private arenaUsed = 0;
  private size = 0;
  /** True once a limit was hit: new configurations are no longer recorded. */
  saturated = false;

  constructor(
    initialEntries: number,
    private readonly limits: MemoLimits = DEFAULT_MEMO_LIMITS,
  ) {
    const capacity = 2 ** Math.ceil(Math.log2(Math.max(64, initialEntries * 2)));
    this.slots = new Int32Array(capacity);
    this.hashes = new Int32Array(capacity);
    this.arena = new Uint32Array(Math.min(limits.arenaWordsMax, Math.max(1024, initialEntries * 8)));
  }

  get entryCount(): number {
    return this.size;
  }

  /**
   * Records the configuration unless it is known: returns MEMO_SEEN if it was met before or is
   * dominated by a finished one (the caller must not enter it), else a handle (> 0) for
   * markFinished, or MEMO_UNRECORDED when the table is full. `hash` must depend only on the
   * return part, state and aux. `shape` must describe `bits` exactly (canonical: leads count
   * the leading all-ones words; ends are one past the last non-zero word).
   */
  insert(
    hash: number,
    state: number,
    aux: number,
    bits: Uint32Array,
    shape: BitsetShape,
    infoBaseWord: number,
  ): number {
    const mask = this.slots.length - 1;
    let i = hash & mask;
    for (let handle = this.slots[i]; handle !== 0; handle = this.slots[i]) {
      const at = handle - 1;
      const sameKey = this.hashes[i] === hash && this.sameKey(at, state, aux, bits, shape);
      if (sameKey && this.infoCovers(at, bits, shape, infoBaseWord)) return MEMO_SEEN;
      i = (i + 1) & mask;
    }
    if (this.saturated) return MEMO_UNRECORDED;
    const returnLength = shape.returnEnd - shape.returnLead;
    const infoLength = shape.infoEnd - shape.infoLead;
    const words = HEADER_WORDS + returnLength + infoLength;
    if (!this.reserve(words) || !this.roomForEntry()) {
      this.saturated = true;
      return MEMO_UNRECORDED;
    }
    const at = this.arenaUsed;
    const arena = this.arena;
    arena[at + STATE] = state;
    arena[at + AUX] = aux;
    arena[at + RETURN_LEAD] = shape.returnLead;
    arena[at + RETURN_LENGTH] = returnLength;
    arena[at + INFO_LEAD] = shape.infoLead;
    arena[at + INFO_LENGTH] = infoLength;
    arena[at + FINISHED] = 0;
    arena.set(bits.subarray(shape.returnLead, shape.returnEnd), at + HEADER_WORDS);
    const infoWords = bits.subarray(infoBaseWord + shape.infoLead, infoBaseWord + shape.infoEnd);
    arena.set(infoWords, at + HEADER_WORDS + returnLength);
    this.arenaUsed += words;
    this.place(hash, at + 1);
    this.size++;
    return at + 1;
  }

  /** The configuration of `handle` was fully explored and failed: it may now dominate others. */
  markFinished(handle: number): void {
    assert(handle > 0 && handle <= this.arenaUsed, 'a memo handle names a recorded entry');
    this.arena[handle - 1 + FINISHED] = 1;
  }

  /** Same dominance key: state, aux and the return part of the bitset. */
  private sameKey(at: number, state: number, aux: number, bits: Uint32Array, shape: BitsetShape): boolean {
    const arena = this.arena;
    if (arena[at + STATE] !== state >>> 0 || arena[at + AUX] !== aux >>> 0) return false;
    const returnLength = shape.returnEnd - shape.returnLead;
    if (arena[at + RETURN_LEAD] !== shape.returnLead || arena[at + RETURN_LENGTH] !== returnLength) return false;
    let p = at + HEADER_WORDS;
    for (let w = shape.returnLead; w < shape.returnEnd; w++) if (arena[p++] !== bits[w]) return false;
    return true;
  }

  /**
   * Whether the stored entry makes the current configuration redundant: equal indeterminate
   * parts, or (once finished) a stored part that is a subset of the current one.
   */
  private infoCovers(at: number, bits: Uint32Array, shape: BitsetShape, infoBaseWord: number): boolean {
    const arena = this.arena;
    const storedLead = arena[at + INFO_LEAD];
    const storedLength = arena[at + INFO_LENGTH];
    const p = at + HEADER_WORDS + arena[at + RETURN_LENGTH];
    if (storedLead === shape.infoLead && storedLength === shape.infoEnd - shape.infoLead) {
      let equal = true;
      for (let w = 0; w < storedLength && equal; w++) equal = arena[p + w] === bits[infoBaseWord + storedLead + w];
      if (equal) return true;
    }
    if (arena[at + FINISHED] === 0 || shape.infoLead < storedLead) return false;
    for (let w = 0; w < storedLength; w++) {
      const word = storedLead + w;
      const current = word < shape.infoLead ? FULL : bits[infoBaseWord + word];
      if ((arena[p + w] & ~current) !== 0) return false;
    }
    return true;
  }

  private reserve(words: number): boolean {
    if (this.arenaUsed + words <= this.arena.length) return true;
    const wanted = Math.max(this.arena.length * 2, this.arenaUsed + words);
    if (wanted > this.limits.arenaWordsMax) return false;
    const grown = new Uint32Array(wanted);
    grown.set(this.arena.subarray(0, this.arenaUsed));
    this.arena = grown;
    return true;
  }

  /** Keeps the load at most one half, growing the table while under the entry limit. */
  private roomForEntry(): boolean {
    if (this.size >= this.limits.entriesMax) return false;
    if ((this.size + 1) * 2 <= this.slots.length) return true;
    const oldSlots = this.slots;
    const oldHashes = this.hashes;
    this.slots = new Int32Array(oldSlots.length * 2);
    this.hashes = new Int32Array(oldSlots.length * 2);
    for (let i = 0; i < oldSlots.length; i++) if (oldSlots[i] !== 0) this.place(oldHashes[i], oldSlots[i]);
    return true;
  }

  private place(hash: number, handle: number): void {
    const mask = this.slots.length - 1;
    let i = hash & mask;
    while (this.slots[i] !== 0) i = (i + 1) & mask;
    assert(handle > 0, 'arena offsets are stored plus one; 0 marks an empty slot');
    this.slots[i] = handle;
    this.hashes[i] = hash;
  }
}

/**
 * Makes `shape` canonical for `bits`, in place (no allocation: this runs once per search step).
 * Hints on entry: each lead may be too small (every word before it is all ones); each end may be
 * too large (every word from it on is zero). The return part is words [0, returnWords); the
 * indeterminate part is words [infoBaseWord, infoBaseWord + infoWords), offsets relative.
 */
export function normalizeShape(
  bits: Uint32Array,
  shape: BitsetShape,
  returnWords: number,
  infoBaseWord: number,
  infoWords: number,
): void {
  let lead = shape.returnLead;
  while (lead < returnWords && bits[lead] === FULL) lead++;
  let end = shape.returnEnd < lead ? lead : shape.returnEnd;
  while (end > lead && bits[end - 1] === 0) end--;
  shape.returnLead = lead;
  shape.returnEnd = end;
  lead = shape.infoLead;
  while (lead < infoWords && bits[infoBaseWord + lead] === FULL) lead++;
  end = shape.infoEnd < lead ? lead : shape.infoEnd;
  while (end > lead && bits[infoBaseWord + end - 1] === 0) end--;
  shape.infoLead = lead;
  shape.infoEnd = end;
}
