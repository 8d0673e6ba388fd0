/**
 * The register model: a single value, initially absent (null). Operations are compiled to small
 * integers so the search works on typed arrays: values are interned per key (null is id 0).
 *
 * Flavors say how an operation must appear in a linearization:
 * - DEFINITE: exactly once, between its invoke and its completion (an `ok`);
 * - OPTIONAL: at most once, between its invoke and its completion (only made by the window
 *   shrinker, which relaxes definite operations to find the few that matter);
 * - INDETERMINATE: at most once, any time after its invoke (`info`, or never completed).
 * `fail` operations had no effect and are dropped; indeterminate reads constrain nothing and are
 * dropped too.
 */
import type { PairedOperation } from './pairing.js';
import type { Value } from './types.js';

export const READ = 0; // requires state == a
export const WRITE = 1; // state := a
export const CAS_SWAP = 2; // requires state == a; state := b
export const CAS_KEEP = 3; // requires state != a (an ok cas whose compare did not match)

export const DEFINITE = 0;
export const OPTIONAL = 1;
export const INDETERMINATE = 2;

export const NULL_VALUE_ID = 0;

/** One operation of one key, compiled. Positions are doubled event indices (odd = between). */
export interface KeyOp {
  /** Index of the PairedOperation this came from (in the key's list). */
  readonly source: number;
  readonly kind: number;
  readonly a: number;
  readonly b: number;
  readonly flavor: number;
  readonly callPos: number;
  /** -1 for INDETERMINATE (the completion is at +infinity). */
  readonly retPos: number;
}

/** Interns values of one key; null is 0. JSON equality is Map key equality for scalars. */
export class ValueTable {
  private readonly ids = new Map<Value, number>([[null, NULL_VALUE_ID]]);
  private readonly values: Value[] = [null];

  intern(value: Value): number {
    let id = this.ids.get(value);
    if (id === undefined) {
      id = this.values.length;
      this.ids.set(value, id);
      this.values.push(value);
    }
    return id;
  }

  valueOf(id: number): Value {
    return this.values[id];
  }

  /** Number of distinct values seen; `count` itself is a value id no operation mentions. */
  get count(): number {
    return this.values.length;
  }
}

/** The state after applying (kind, a, b) to `state`, or -1 if the operation cannot run there. */
export function registerStep(kind: number, a: number, b: number, state: number): number {
  switch (kind) {
    case READ:
      return state === a ? state : -1;
    case WRITE:
      return a;
    case CAS_SWAP:
      return state === a ? b : -1;
    default:
      return state !== a ? state : -1;
  }
}

/** Compiles one key's operations (in invoke order); drops those that can never matter. */
export function compileRegisterOps(ops: readonly PairedOperation[], values: ValueTable): KeyOp[] {
  const out: KeyOp[] = [];
  for (let source = 0; source < ops.length; source++) {
    const op = ops[source];
    if (op.outcome === 'fail') continue;
    const definite = op.outcome === 'ok';
    const callPos = 2 * op.invokeIndex;
    const retPos = definite ? 2 * op.completeIndex : -1;
    const flavor = definite ? DEFINITE : INDETERMINATE;
    const push = (kind: number, a: number, b: number): void => {
      out.push({ source, kind, a, b, flavor, callPos, retPos });
    };
    if (op.f === 'read') {
      if (definite) push(READ, values.intern(op.output), 0);
    } else if (op.f === 'write') {
      push(WRITE, values.intern(op.input as Value), 0);
    } else {
      const [expected, next] = op.input as readonly [Value, Value];
      const a = values.intern(expected);
      const b = values.intern(next);
      if (definite && !op.swapped) push(CAS_KEEP, a, 0);
      else if (a === b) {
        // A swap to the same value is a read of it; an indeterminate one changes nothing.
        if (definite) push(READ, a, 0);
      } else push(CAS_SWAP, a, b);
    }
  }
  return out;
}

/** The value an operation leaves in the register when it takes effect, or -1 if none. */
export function writtenValue(op: KeyOp): number {
  return op.kind === WRITE ? op.a : op.kind === CAS_SWAP ? op.b : -1;
}
