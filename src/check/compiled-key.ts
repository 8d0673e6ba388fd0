/**
 * One key's operations laid out for the search: typed arrays indexed by "slot" (the operation's
 * bit in the resolved-set bitset), plus two structures the search walks.
 *
 * - The entry list of Wing & Gong / Lowe, for operations with a completion (DEFINITE, OPTIONAL):
 *   call and return entries sorted by position in a doubly linked list that the search lifts
 *   operations out of and puts back (dancing links, strictly last-out-first-in).
 * - Twin groups for INDETERMINATE operations: operations with the same function and arguments are
 *   interchangeable once invoked, so each group is used in invoke order and its state is just how
 *   many members are resolved. They stay out of the entry list: they have no completion, and a
 *   long history piles up hundreds of them that every scan of the list would otherwise walk.
 *
 * Slot layout: operations with a completion take slots [0, returnCount) in invoke order;
 * indeterminate ones take slots from infoBase (word-aligned) on, so the memo can store the two
 * parts of the bitset as separate compact segments.
 */
import { assert } from './errors.js';
import { INDETERMINATE, type KeyOp } from './register-model.js';

/** Entry index of the list head (a sentinel); NIL ends the list. */
export const HEAD = 0;
export const NIL = -1;

export class CompiledKey {
  /** Operations with a completion entry (slots [0, returnCount)). */
  readonly returnCount: number;
  /** First slot of the indeterminate operations; a multiple of 32. */
  readonly infoBase: number;
  readonly infoCount: number;
  /** Words of the bitset: [0, infoBase/32) for ops with a completion, then the indeterminate. */
  readonly wordCount: number;
  /** Per slot. */
  readonly kind: Uint8Array;
  readonly flavor: Uint8Array;
  readonly a: Int32Array;
  readonly b: Int32Array;
  readonly callPos: Float64Array;
  /** Per slot: the KeyOp index it came from. */
  readonly opIndex: Int32Array;
  /** Per slot with a completion: its call entry. */
  readonly callEntry: Int32Array;
  /** Per entry (0 = head). */
  readonly next: Int32Array;
  readonly prev: Int32Array;
  readonly entrySlot: Int32Array;
  readonly entryIsReturn: Uint8Array;
  /** Per call entry: its return entry. */
  readonly match: Int32Array;
  readonly entryPos: Float64Array;
  /** Twin groups: members of group g are groupMembers[groupStart[g] .. groupStart[g + 1]). */
  readonly groupCount: number;
  readonly groupStart: Int32Array;
  readonly groupMembers: Int32Array;
  /** Entries in list order (for reset). */
  private readonly order: Int32Array;

  constructor(readonly ops: readonly KeyOp[]) {
    let returnCount = 0;
    for (const op of ops) if (op.flavor !== INDETERMINATE) returnCount++;
    this.returnCount = returnCount;
    this.infoBase = Math.ceil(returnCount / 32) * 32;
    this.infoCount = ops.length - returnCount;
    this.wordCount = this.infoBase / 32 + Math.ceil(this.infoCount / 32);
    const slotCount = this.infoBase + this.infoCount;
    this.kind = new Uint8Array(slotCount);
    this.flavor = new Uint8Array(slotCount);
    this.a = new Int32Array(slotCount);
    this.b = new Int32Array(slotCount);
    this.callPos = new Float64Array(slotCount);
    this.opIndex = new Int32Array(slotCount).fill(-1);
    this.callEntry = new Int32Array(slotCount).fill(NIL);
    const entryCount = 1 + 2 * returnCount;
    this.next = new Int32Array(entryCount);
    this.prev = new Int32Array(entryCount);
    this.entrySlot = new Int32Array(entryCount).fill(-1);
    this.entryIsReturn = new Uint8Array(entryCount);
    this.match = new Int32Array(entryCount).fill(NIL);
    this.entryPos = new Float64Array(entryCount);
    this.order = new Int32Array(entryCount);
    const groups = this.fillSlotsAndEntries();
    this.groupCount = groups.length;
    this.groupStart = new Int32Array(groups.length + 1);
    this.groupMembers = new Int32Array(this.infoCount);
    let at = 0;
    groups.forEach((members, g) => {
      this.groupStart[g] = at;
      for (const slot of members) this.groupMembers[at++] = slot;
    });
    this.groupStart[groups.length] = at;
    this.sortEntries();
    this.reset();
  }

  /** Restores the full list (every operation unresolved). */
  reset(): void {
    const { next, prev, order } = this;
    for (let i = 0; i < order.length; i++) {
      next[order[i]] = i + 1 < order.length ? order[i + 1] : NIL;
      prev[order[i]] = i > 0 ? order[i - 1] : NIL;
    }
  }

  /** Takes a call entry and its return entry out of the list; they keep their own links. */
  lift(call: number): void {
    const { next, prev } = this;
    let before = prev[call];
    let after = next[call];
    next[before] = after;
    if (after !== NIL) prev[after] = before;
    const ret = this.match[call];
    before = prev[ret];
    after = next[ret];
    next[before] = after;
    if (after !== NIL) prev[after] = before;
  }

  /** Undoes lift(call); valid only in reverse order of the lifts (a search stack guarantees it). */
  unlift(call: number): void {
    const { next, prev } = this;
    const ret = this.match[call];
    next[prev[ret]] = ret;
    if (next[ret] !== NIL) prev[next[ret]] = ret;
    next[prev[call]] = call;
    if (next[call] !== NIL) prev[next[call]] = call;
  }

  /** The first return entry of the list (the frontier); there is one while any op is unresolved. */
  firstReturnEntry(): number {
    let e = this.next[HEAD];
    while (e !== NIL && this.entryIsReturn[e] === 0) e = this.next[e];
    assert(e !== NIL, 'an unresolved operation keeps its return entry in the list');
    return e;
  }

  /** Fills the per-slot arrays and the entries; returns the twin groups (slots in invoke order). */
  private fillSlotsAndEntries(): number[][] {
    const groupOf = new Map<string, number[]>();
    let returnSlot = 0;
    let infoSlot = this.infoBase;
    let entry = 1;
    for (let i = 0; i < this.ops.length; i++) {
      const op = this.ops[i];
      assert(i === 0 || op.callPos >= this.ops[i - 1].callPos, 'key operations are in invoke order');
      const indeterminate = op.flavor === INDETERMINATE;
      const slot = indeterminate ? infoSlot++ : returnSlot++;
      this.kind[slot] = op.kind;
      this.flavor[slot] = op.flavor;
      this.a[slot] = op.a;
      this.b[slot] = op.b;
      this.callPos[slot] = op.callPos;
      this.opIndex[slot] = i;
      if (indeterminate) {
        const twinKey = `${op.kind},${op.a},${op.b}`;
        const members = groupOf.get(twinKey);
        if (members === undefined) groupOf.set(twinKey, [slot]);
        else members.push(slot);
        continue;
      }
      assert(op.retPos > op.callPos, 'an operation completes after its invoke');
      const call = entry++;
      const ret = entry++;
      this.callEntry[slot] = call;
      this.entrySlot[call] = slot;
      this.entryPos[call] = op.callPos;
      this.entrySlot[ret] = slot;
      this.entryPos[ret] = op.retPos;
      this.entryIsReturn[ret] = 1;
      this.match[call] = ret;
    }
    assert(returnSlot === this.returnCount && entry === this.next.length, 'every operation has its entries');
    return [...groupOf.values()];
  }

  /** List order: by position; ties (window cuts) by entry index, which follows invoke order. */
  private sortEntries(): void {
    const count = this.order.length - 1;
    const shift = 2 ** 22;
    let maxPos = 0;
    for (let e = 1; e <= count; e++) maxPos = Math.max(maxPos, this.entryPos[e]);
    let sorted: ArrayLike<number>;
    if (count < shift && maxPos < 2 ** 30) {
      // Exact in a double: pos < 2^30, entry < 2^22.
      const keys = new Float64Array(count);
      for (let e = 1; e <= count; e++) keys[e - 1] = this.entryPos[e] * shift + e;
      keys.sort();
      sorted = keys.map((k) => k % shift);
    } else {
      sorted = Array.from({ length: count }, (_, i) => i + 1).sort(
        (x, y) => this.entryPos[x] - this.entryPos[y] || x - y,
      );
    }
    this.order[0] = HEAD;
    for (let i = 0; i < count; i++) this.order[i + 1] = sorted[i];
  }
}
