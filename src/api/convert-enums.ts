/**
 * Proto enums ↔ the state machine's string unions.
 *
 * Contract: value 0 (`*_UNSPECIFIED`) converts to `undefined`, so the state
 * machine's validators apply their default or report the field as required;
 * a number the table does not know (a newer client, or garbage on the wire —
 * proto3 enums are open) is a ValidationError naming the field and the
 * accepted names. Nothing else is ever returned.
 */
import { ValidationError } from '../fsm/index.js';

export interface EnumMap<P extends number, S extends string> {
  /** The fsm string of `value`, undefined for 0; throws ValidationError(path) for unknown numbers. */
  toFsm(value: P, path: string): S | undefined;
  toProto(value: S): P;
}

/**
 * Builds a map from the generated enum object (for its names) and one entry
 * per fsm string (the Record type makes the table exhaustive at compile time).
 */
export function enumMap<P extends number, S extends string>(
  protoEnum: Readonly<Record<string | number, string | number>>,
  byFsm: Readonly<Record<S, P>>,
): EnumMap<P, S> {
  const byProto = new Map<number, S>();
  for (const [fsm, proto] of Object.entries(byFsm) as [S, P][]) byProto.set(proto, fsm);
  const names = [...byProto.keys()].map((n) => String(protoEnum[n])).join(', ');
  return {
    toFsm(value, path) {
      if (value === 0) return undefined;
      const fsm = byProto.get(value);
      if (fsm === undefined) throw new ValidationError(path, `unknown value ${value}; must be one of ${names}`);
      return fsm;
    },
    toProto: (value) => byFsm[value],
  };
}

/** Converts every item of a repeated enum field, naming each item's path. */
export function enumList<P extends number, S extends string>(map: EnumMap<P, S>, values: readonly P[], path: string): (S | undefined)[] {
  return values.map((v, i) => map.toFsm(v, `${path}[${i}]`));
}
