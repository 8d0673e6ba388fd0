/**
 * Early failure: a configuration is dead if some ok operation that must see value v (a read of
 * v, or a cas that swapped from v) is invoked and unresolved, the register does not hold v, and
 * no unresolved operation invoked before that operation's completion could write v. The plain
 * search would find out only on reaching that completion, after trying every order of the
 * operations in between; this check cuts those subtrees at once. It rejects only configurations
 * that cannot be completed, so the verdict is unchanged.
 *
 * A cas from e to v counts as a possible writer of v only if the register holds e now or some
 * operation writes e (a cas from a never-written value, typically null, is unusable later).
 */
import { type CompiledKey, HEAD, NIL } from './compiled-key.js';
import { CAS_SWAP, DEFINITE, READ, WRITE } from './register-model.js';

export class SupplyIndex {
  /** Writers with a completion of value v: writerSlot[writerStart[v] .. writerStart[v+1]), by invoke. */
  private readonly writerStart: Int32Array;
  private readonly writerSlot: Int32Array;
  /** Twin groups writing value v: valueGroup[valueGroupStart[v] .. valueGroupStart[v+1]). */
  private readonly valueGroupStart: Int32Array;
  private readonly valueGroup: Int32Array;
  /** Whether any operation at all writes value v. */
  private readonly written: Uint8Array;
  /** Scratch: mark[v] === epoch when a candidate writer can produce v in this configuration. */
  private readonly mark: Uint32Array;
  private epoch = 0;
  /** Scratch: the readers found before the frontier. */
  private readonly readers: Int32Array;

  constructor(
    private readonly key: CompiledKey,
    private readonly groupResolved: Int32Array,
  ) {
    let valueCount = 1;
    for (const op of key.ops) valueCount = Math.max(valueCount, op.a + 1, op.b + 1);
    const returnSlots: number[] = [];
    for (let slot = 0; slot < key.returnCount; slot++) returnSlots.push(slot);
    const groupHeads: number[] = [];
    for (let g = 0; g < key.groupCount; g++) groupHeads.push(key.groupMembers[key.groupStart[g]]);
    [this.writerStart, this.writerSlot] = indexByWrittenValue(key, returnSlots, valueCount, (slot) => slot);
    [this.valueGroupStart, this.valueGroup] = indexByWrittenValue(key, groupHeads, valueCount, (_, i) => i);
    this.written = new Uint8Array(valueCount);
    for (const op of key.ops) {
      const v = writtenBy(op.kind, op.a, op.b);
      if (v >= 0) this.written[v] = 1;
    }
    this.mark = new Uint32Array(valueCount);
    this.readers = new Int32Array(key.returnCount);
  }

  /**
   * For the configuration in the key's list with register `state`: the slot of an operation that
   * can no longer be satisfied (the configuration is dead), or -1.
   */
  deadReader(state: number): number {
    const { next, entryIsReturn, entrySlot, kind, a, b, flavor } = this.key;
    const mark = this.mark;
    const epoch = ++this.epoch;
    let readerCount = 0;
    let e = next[HEAD];
    for (; e !== NIL && entryIsReturn[e] === 0; e = next[e]) {
      const slot = entrySlot[e];
      const k = kind[slot];
      const v = writtenBy(k, a[slot], b[slot]);
      if (v >= 0 && this.usableWriter(k, a[slot], state)) mark[v] = epoch;
      const observer = k === READ || k === CAS_SWAP;
      if (observer && flavor[slot] === DEFINITE && a[slot] !== state) this.readers[readerCount++] = slot;
    }
    if (readerCount === 0) return -1;
    // Operations with a completion invoked after the frontier are all unresolved.
    const frontierPos = e === NIL ? Infinity : this.key.entryPos[e];
    for (let i = 0; i < readerCount; i++) {
      const slot = this.readers[i];
      const v = a[slot];
      if (v < mark.length && mark[v] === epoch) continue;
      const deadlinePos = this.key.entryPos[this.key.match[this.key.callEntry[slot]]];
      if (this.writerBetween(v, frontierPos, deadlinePos, state) || this.groupWriter(v, deadlinePos, state)) continue;
      return slot;
    }
    return -1;
  }

  /** A writer of v with a completion invoked in (afterPos, beforePos), usable from `state`. */
  private writerBetween(v: number, afterPos: number, beforePos: number, state: number): boolean {
    if (v >= this.written.length) return false;
    const { kind, a, callPos } = this.key;
    const end = this.writerStart[v + 1];
    let lo = this.writerStart[v];
    let hi = end;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (callPos[this.writerSlot[mid]] > afterPos) hi = mid;
      else lo = mid + 1;
    }
    for (let i = lo; i < end; i++) {
      const slot = this.writerSlot[i];
      if (callPos[slot] >= beforePos) break;
      if (this.usableWriter(kind[slot], a[slot], state)) return true;
    }
    return false;
  }

  /** An unresolved indeterminate writer of v invoked before beforePos, usable from `state`. */
  private groupWriter(v: number, beforePos: number, state: number): boolean {
    if (v >= this.written.length) return false;
    const { kind, a, callPos, groupStart, groupMembers } = this.key;
    for (let i = this.valueGroupStart[v]; i < this.valueGroupStart[v + 1]; i++) {
      const g = this.valueGroup[i];
      const memberIndex = groupStart[g] + this.groupResolved[g];
      if (memberIndex >= groupStart[g + 1]) continue;
      const slot = groupMembers[memberIndex];
      if (callPos[slot] < beforePos && this.usableWriter(kind[slot], a[slot], state)) return true;
    }
    return false;
  }

  private usableWriter(k: number, expected: number, state: number): boolean {
    return k === WRITE || expected === state || (expected < this.written.length && this.written[expected] === 1);
  }
}

function writtenBy(kind: number, a: number, b: number): number {
  return kind === WRITE ? a : kind === CAS_SWAP ? b : -1;
}

/** CSR index: items (slots, or group numbers via `item`) by the value their slot writes. */
function indexByWrittenValue(
  key: CompiledKey,
  slots: readonly number[],
  valueCount: number,
  item: (slot: number, index: number) => number,
): [Int32Array, Int32Array] {
  const start = new Int32Array(valueCount + 1);
  for (const slot of slots) {
    const v = writtenBy(key.kind[slot], key.a[slot], key.b[slot]);
    if (v >= 0) start[v + 1]++;
  }
  for (let v = 0; v < valueCount; v++) start[v + 1] += start[v];
  const fill = start.slice(0, valueCount);
  const items = new Int32Array(start[valueCount]);
  slots.forEach((slot, index) => {
    const v = writtenBy(key.kind[slot], key.a[slot], key.b[slot]);
    if (v >= 0) items[fill[v]++] = item(slot, index);
  });
  return [start, items];
}
