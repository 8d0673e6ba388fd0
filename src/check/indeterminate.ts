/**
 * Which indeterminate operations the search may apply in a configuration.
 *
 * In some linearization, if any, each indeterminate operation used is immediately followed by an
 * operation it enables (one that runs in the new state but not in the old): move it later past
 * operations that run either way; if a write comes first, it was overwritten unseen and can be
 * omitted. So only twin-group heads that enable a candidate are worth trying. This class lists
 * them, in increasing group order, without scanning every group for every configuration:
 * it marks the values the candidates need (closed backwards over chains of indeterminate cas:
 * a cas is enabled only by an operation writing its expected value), then looks up the groups
 * writing those values. A failed-compare cas that cannot run now (the register holds its
 * expected value) is enabled by any change, so then every group is listed.
 */
import { type CompiledKey, HEAD } from './compiled-key.js';
import { CAS_KEEP, CAS_SWAP, registerStep, WRITE } from './register-model.js';

export class IndeterminateCandidates {
  /** Groups writing value v: writerGroup[writerGroupStart[v] .. writerGroupStart[v + 1]). */
  private readonly writerGroupStart: Int32Array;
  private readonly writerGroup: Int32Array;
  /** The cas groups among them (a cas can itself be enabled by another indeterminate op). */
  private readonly casWriterStart: Int32Array;
  private readonly casWriter: Int32Array;
  private readonly groupFirstCall: Float64Array;
  private readonly mark: Uint32Array;
  private readonly markedValues: Int32Array;
  private epoch = 0;
  private markedCount = 0;
  /** The current list (group numbers, increasing). */
  readonly list: Int32Array;
  length = 0;

  constructor(
    private readonly key: CompiledKey,
    private readonly groupResolved: Int32Array,
  ) {
    let valueCount = 1;
    for (const op of key.ops) valueCount = Math.max(valueCount, op.a + 1, op.b + 1);
    const groupCount = key.groupCount;
    this.groupFirstCall = new Float64Array(groupCount);
    const allGroups: number[] = [];
    const casGroups: number[] = [];
    for (let g = 0; g < groupCount; g++) {
      const head = key.groupMembers[key.groupStart[g]];
      this.groupFirstCall[g] = key.callPos[head];
      allGroups.push(g);
      if (key.kind[head] === CAS_SWAP) casGroups.push(g);
    }
    [this.writerGroupStart, this.writerGroup] = groupsByWrittenValue(key, allGroups, valueCount);
    [this.casWriterStart, this.casWriter] = groupsByWrittenValue(key, casGroups, valueCount);
    this.mark = new Uint32Array(valueCount);
    this.markedValues = new Int32Array(valueCount);
    this.list = new Int32Array(groupCount);
  }

  /**
   * Lists the groups whose invoked head changes `state` into a state some candidate needs; the
   * frontier is the first return entry. Groups are in increasing order (the search's cursor).
   */
  build(state: number, frontier: number): void {
    const key = this.key;
    const frontierPos = key.entryPos[frontier];
    this.epoch++;
    this.markedCount = 0;
    let anyValue = false;
    for (let e = key.next[HEAD]; e !== frontier; e = key.next[e]) {
      const slot = key.entrySlot[e];
      if (registerStep(key.kind[slot], key.a[slot], key.b[slot], state) >= 0) continue;
      // Not runnable now: a read or swap needs its value; a failed-compare cas needs any other.
      if (key.kind[slot] === CAS_KEEP) anyValue = true;
      else this.markValue(key.a[slot]);
    }
    // Close backwards over chains: a cas group writing a needed value needs its expected value.
    for (let i = 0; i < this.markedCount; i++) {
      const v = this.markedValues[i];
      for (let j = this.casWriterStart[v]; j < this.casWriterStart[v + 1]; j++) {
        const head = this.head(this.casWriter[j], frontierPos);
        if (head >= 0 && key.a[head] !== state) this.markValue(key.a[head]);
      }
    }
    this.length = 0;
    if (anyValue) {
      for (let g = 0; g < key.groupCount && this.groupFirstCall[g] < frontierPos; g++) this.list[this.length++] = g;
      return;
    }
    for (let i = 0; i < this.markedCount; i++) {
      const v = this.markedValues[i];
      for (let j = this.writerGroupStart[v]; j < this.writerGroupStart[v + 1]; j++) {
        const g = this.writerGroup[j];
        if (this.groupFirstCall[g] < frontierPos) this.insertSorted(g);
      }
    }
  }

  private markValue(v: number): void {
    if (v < this.mark.length && this.mark[v] !== this.epoch) {
      this.mark[v] = this.epoch;
      this.markedValues[this.markedCount++] = v;
    }
  }

  /** Insertion into the (short) sorted list; no allocation. */
  private insertSorted(g: number): void {
    let i = this.length++;
    while (i > 0 && this.list[i - 1] > g) {
      this.list[i] = this.list[i - 1];
      i--;
    }
    this.list[i] = g;
  }

  /** The unresolved head of group g if invoked before frontierPos, else -1. */
  head(g: number, frontierPos: number): number {
    const key = this.key;
    const memberIndex = key.groupStart[g] + this.groupResolved[g];
    if (memberIndex >= key.groupStart[g + 1]) return -1;
    const slot = key.groupMembers[memberIndex];
    return key.callPos[slot] < frontierPos ? slot : -1;
  }

  /** Index in the list of the first group after g. */
  after(g: number): number {
    let i = 0;
    while (i < this.length && this.list[i] <= g) i++;
    return i;
  }
}

function written(key: CompiledKey, slot: number): number {
  return key.kind[slot] === WRITE ? key.a[slot] : key.b[slot];
}

/** CSR index of `groups` (in increasing order) by the value their operations write. */
function groupsByWrittenValue(
  key: CompiledKey,
  groups: readonly number[],
  valueCount: number,
): [Int32Array, Int32Array] {
  const start = new Int32Array(valueCount + 1);
  const valueOf = (g: number): number => written(key, key.groupMembers[key.groupStart[g]]);
  for (const g of groups) start[valueOf(g) + 1]++;
  for (let v = 0; v < valueCount; v++) start[v + 1] += start[v];
  const fill = start.slice(0, valueCount);
  const items = new Int32Array(groups.length);
  for (const g of groups) items[fill[valueOf(g)]++] = g;
  return [start, items];
}
