/**
 * Just-in-time linearization search (Wing & Gong, Lowe; as in porcupine) over one key.
 *
 * The entry list holds every unresolved operation's call and return entry in position order.
 * Scanning from the head, each call entry met before the first return entry (the frontier)
 * belongs to an operation that could take effect now; the search tries it (lift: take both
 * entries out, apply it to the state, restart at the head) and backtracks (unlift) when nothing
 * more can be tried before the frontier. The memo keeps it from entering a configuration
 * (resolved set, state, restriction) twice, or one dominated by a failed one (memo.ts).
 *
 * Refinements over the textbook loop, each keeping the verdict exact:
 * - OBSERVE: an ok read (or failed-compare cas) that holds in the current state is taken at once
 *   as the configuration's only branch. It changes nothing, and it is a candidate, so every
 *   unresolved operation completes after its invoke: moving it to the front of any completion
 *   of the configuration keeps that completion valid.
 * - Indeterminate operations come last, from their twin groups (see CompiledKey), and only when
 *   they enable some candidate (indeterminate.ts), which must then come right after them (the
 *   `from` restriction, part of the configuration). The search succeeds once every operation
 *   with a completion is resolved, whatever indeterminate ones remain (they may be omitted).
 * - An omissible operation that would not change the state is never applied.
 * - OPTIONAL operations (window shrinking) may also be dropped at their return entry.
 * - Dead configurations are abandoned early (viability.ts).
 */
import { type CompiledKey, HEAD, NIL } from './compiled-key.js';
import { assert } from './errors.js';
import { IndeterminateCandidates } from './indeterminate.js';
import { MEMO_SEEN, type MemoTable } from './memo.js';
import { DEFINITE, OPTIONAL, registerStep, WRITE } from './register-model.js';
import { ResolvedSet } from './resolved-set.js';
import { SupplyIndex } from './viability.js';

export const LINEARIZABLE = 0;
export const VIOLATION = 1;
export const TIMEOUT = 2;
export type SearchStatus = typeof LINEARIZABLE | typeof VIOLATION | typeof TIMEOUT;

export interface SearchBudget {
  /** On the performance.now() clock. */
  readonly deadlineMs: number;
  /** Loop iterations allowed (Infinity for none); checked with the deadline. */
  readonly stepsMax: number;
}

export interface SearchResult {
  status: SearchStatus;
  /**
   * VIOLATION: the KeyOp index of the ok operation whose completion was the furthest the search
   * reached and could not pass (-1 if none was recorded).
   */
  stuckOp: number;
  stuckPos: number;
  steps: number;
}

/** The clock is read once per this many iterations (a power of two minus one). */
const DEADLINE_CHECK_MASK = 4095;
/** Passes over the candidates of one configuration, in this order. */
const PASS_OBSERVE = 0;
const PASS_WITH_RETURN = 1;
const PASS_INDETERMINATE = 2;
/** Stack frame kinds: resume the parent's scan in that pass, or nothing is left to try. */
const FRAME_WITH_RETURN = PASS_WITH_RETURN;
const FRAME_GROUP = PASS_INDETERMINATE;
const FRAME_EXHAUSTED = 3;
/** No restriction on the next operation (see KeySearch.from). */
const NONE = -1;
/** What one step of the loop leads to. */
const CONTINUE = 0;
const BACKTRACK = 1;

/** Searches from each initial state in turn (sharing the memo); linearizable if any succeeds. */
export function searchKey(
  key: CompiledKey,
  initialStates: readonly number[],
  memo: MemoTable,
  budget: SearchBudget,
): SearchResult {
  assert(initialStates.length > 0, 'a search needs an initial state');
  const result: SearchResult = { status: VIOLATION, stuckOp: -1, stuckPos: -1, steps: 0 };
  if (key.returnCount === 0) {
    result.status = LINEARIZABLE;
    return result;
  }
  key.reset();
  const search = new KeySearch(key, memo, result);
  for (const initial of initialStates) {
    search.run(initial, budget);
    if (result.status !== VIOLATION) break;
  }
  return result;
}

/** One depth-first search from one initial state. Its stack holds one frame per move. */
class KeySearch {
  private readonly groupResolved: Int32Array;
  private readonly supply: SupplyIndex;
  private readonly candidates: IndeterminateCandidates;
  private readonly resolved: ResolvedSet;
  private readonly stackItem: Int32Array;
  private readonly stackState: Int32Array;
  private readonly stackFrom: Int32Array;
  private readonly stackFrame: Uint8Array;
  /** Memo handle of the configuration each frame entered (0: not recorded). */
  private readonly stackMemo: Int32Array;
  private depth = 0;
  private state = 0;
  /**
   * NONE, or the state before the indeterminate operation just applied: then the next operation
   * applied must be one it enabled (runs in `state`, not in `from`). Part of the configuration.
   */
  private from = NONE;
  /** Operations with a completion not yet resolved: the search succeeds at zero. */
  private unresolved: number;
  /** Passes OBSERVE and WITH_RETURN: the entry being considered. */
  private entry = NIL;
  private pass = PASS_OBSERVE;
  /** Pass INDETERMINATE: the first return entry, and the next candidate group to try. */
  private frontier = NIL;
  private cursor = 0;
  /** True right after entering a configuration, until its viability is checked. */
  private fresh = true;
  /** The memo handle of the configuration the next push enters. */
  private entered = 0;

  constructor(
    private readonly key: CompiledKey,
    private readonly memo: MemoTable,
    private readonly out: SearchResult,
  ) {
    this.groupResolved = new Int32Array(key.groupCount);
    this.supply = new SupplyIndex(key, this.groupResolved);
    this.candidates = new IndeterminateCandidates(key, this.groupResolved);
    this.resolved = new ResolvedSet(key);
    const depthMax = key.returnCount + key.infoCount + 1;
    this.stackItem = new Int32Array(depthMax);
    this.stackState = new Int32Array(depthMax);
    this.stackFrom = new Int32Array(depthMax);
    this.stackFrame = new Uint8Array(depthMax);
    this.stackMemo = new Int32Array(depthMax);
    this.unresolved = key.returnCount;
  }

  /**
   * Sets out.status: LINEARIZABLE, VIOLATION, or TIMEOUT past the budget. Runs again only after
   * a VIOLATION, which unwinds everything (empty stack, full list, nothing resolved).
   */
  run(initial: number, budget: SearchBudget): void {
    const out = this.out;
    assert(this.depth === 0 && this.unresolved === this.key.returnCount, 'a search starts from nothing resolved');
    this.state = initial;
    this.from = NONE;
    this.entry = this.key.next[HEAD];
    this.pass = PASS_OBSERVE;
    this.fresh = true;
    let steps = out.steps;
    out.status = VIOLATION;
    for (;;) {
      if (this.unresolved === 0) {
        out.status = LINEARIZABLE;
        break;
      }
      const checkDeadline = (++steps & DEADLINE_CHECK_MASK) === 0;
      if (checkDeadline && (steps > budget.stepsMax || performance.now() > budget.deadlineMs)) {
        out.status = TIMEOUT;
        break;
      }
      let outcome: number;
      if (this.fresh && this.isDead()) outcome = BACKTRACK;
      else if (this.pass === PASS_INDETERMINATE) outcome = this.stepIndeterminate();
      else outcome = this.stepEntry();
      if (outcome === BACKTRACK && !this.backtrack()) break; // every configuration failed
    }
    out.steps = steps;
  }

  /** Viability (viability.ts), once per configuration; records the dead reader as stuck. */
  private isDead(): boolean {
    this.fresh = false;
    const dead = this.supply.deadReader(this.state);
    if (dead < 0) return false;
    const key = this.key;
    this.recordStuck(key.entryPos[key.match[key.callEntry[dead]]], dead);
    return true;
  }

  /** Passes OBSERVE and WITH_RETURN: considers the current entry of the list. */
  private stepEntry(): number {
    const key = this.key;
    const entry = this.entry;
    assert(entry !== NIL, 'an unresolved operation keeps its return entry in the list');
    if (key.entryIsReturn[entry] === 1) {
      // The frontier: nothing after it is invoked yet in this configuration.
      if (this.pass === PASS_OBSERVE) {
        this.pass = PASS_WITH_RETURN;
        this.entry = key.next[HEAD];
      } else this.startIndeterminate(entry, 0);
      return CONTINUE;
    }
    const slot = key.entrySlot[entry];
    const nextState = registerStep(key.kind[slot], key.a[slot], key.b[slot], this.state);
    if (this.pass === PASS_OBSERVE) {
      const observation = key.flavor[slot] === DEFINITE && nextState === this.state && key.kind[slot] !== WRITE;
      if (!observation || !this.allowed(slot, nextState)) {
        this.entry = key.next[entry];
        return CONTINUE;
      }
      // A forced observation: if its configuration was met already, it failed, and so does this.
      if (!this.enter(slot, nextState, NONE)) return BACKTRACK;
      this.pushEntry(entry, FRAME_EXHAUSTED, nextState, NONE);
      return CONTINUE;
    }
    const usable = this.allowed(slot, nextState) && (key.flavor[slot] === DEFINITE || nextState !== this.state);
    if (usable && this.enter(slot, nextState, NONE)) this.pushEntry(entry, FRAME_WITH_RETURN, nextState, NONE);
    else this.entry = key.next[entry];
    return CONTINUE;
  }

  private startIndeterminate(frontier: number, cursor: number): void {
    this.pass = PASS_INDETERMINATE;
    this.frontier = frontier;
    this.candidates.build(this.state, frontier);
    this.cursor = cursor;
  }

  /** Pass INDETERMINATE: the next candidate group; then the frontier's own fate. */
  private stepIndeterminate(): number {
    const key = this.key;
    if (this.cursor < this.candidates.length) {
      const g = this.candidates.list[this.cursor++];
      const slot = this.candidates.head(g, key.entryPos[this.frontier]);
      if (slot < 0) return CONTINUE;
      const nextState = registerStep(key.kind[slot], key.a[slot], key.b[slot], this.state);
      if (!this.allowed(slot, nextState) || nextState === this.state) return CONTINUE;
      if (this.enter(slot, nextState, this.state)) {
        this.groupResolved[g]++;
        this.push(g, FRAME_GROUP, nextState, this.state);
      }
      return CONTINUE;
    }
    // Every candidate failed; an OPTIONAL operation at the frontier may still be dropped.
    const slot = key.entrySlot[this.frontier];
    if (key.flavor[slot] === OPTIONAL) {
      if (!this.enter(slot, this.state, this.from)) return BACKTRACK;
      this.pushEntry(key.callEntry[slot], FRAME_EXHAUSTED, this.state, this.from);
      return CONTINUE;
    }
    this.recordStuck(key.entryPos[this.frontier], slot);
    return BACKTRACK;
  }

  /** Whether an operation may be applied next: it runs now and, if restricted, did not before. */
  private allowed(slot: number, nextState: number): boolean {
    const key = this.key;
    if (nextState < 0) return false;
    return this.from === NONE || registerStep(key.kind[slot], key.a[slot], key.b[slot], this.from) < 0;
  }

  /** Resolves `slot` if the memo has not met (set, nextState, nextFrom); false if it has. */
  private enter(slot: number, nextState: number, nextFrom: number): boolean {
    this.entered = this.resolved.enter(this.memo, slot, nextState, nextFrom);
    return this.entered !== MEMO_SEEN;
  }

  /** Pushes a move of an operation with a completion: lifts its entries out of the list. */
  private pushEntry(call: number, frame: number, nextState: number, nextFrom: number): void {
    this.key.lift(call);
    this.unresolved--;
    this.push(call, frame, nextState, nextFrom);
  }

  /** Records a frame and moves to the entered configuration, whose scan starts over. */
  private push(item: number, frame: number, nextState: number, nextFrom: number): void {
    const d = this.depth++;
    this.stackItem[d] = item;
    this.stackState[d] = this.state;
    this.stackFrom[d] = this.from;
    this.stackFrame[d] = frame;
    this.stackMemo[d] = this.entered;
    this.state = nextState;
    this.from = nextFrom;
    this.entry = this.key.next[HEAD];
    this.pass = PASS_OBSERVE;
    this.fresh = true;
  }

  /** Pops frames until one has alternatives left; false if none has (the stack is empty). */
  private backtrack(): boolean {
    const key = this.key;
    while (this.depth > 0) {
      const d = --this.depth;
      if (this.stackMemo[d] > 0) this.memo.markFinished(this.stackMemo[d]);
      const item = this.stackItem[d];
      const frame = this.stackFrame[d];
      this.state = this.stackState[d];
      this.from = this.stackFrom[d];
      if (frame === FRAME_GROUP) {
        this.groupResolved[item]--;
        this.resolved.remove(key.groupMembers[key.groupStart[item] + this.groupResolved[item]]);
        this.startIndeterminate(key.firstReturnEntry(), 0);
        this.cursor = this.candidates.after(item);
        return true;
      }
      key.unlift(item);
      this.resolved.remove(key.entrySlot[item]);
      this.unresolved++;
      if (frame !== FRAME_EXHAUSTED) {
        this.entry = key.next[item];
        this.pass = frame;
        return true;
      }
    }
    return false;
  }

  /** Keeps the furthest completion the search could not get past, for the window. */
  private recordStuck(position: number, slot: number): void {
    if (position > this.out.stuckPos) {
      this.out.stuckPos = position;
      this.out.stuckOp = this.key.opIndex[slot];
    }
  }
}
