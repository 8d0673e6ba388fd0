/**
 * Proto enum values ↔ the words manifests and output use, which are those of
 * the state machine (src/fsm/types.ts): `gpu`, `float32`, `onnx` (lowercase
 * kinds) and `NoSchedule`, `NotReady`, `Pending`, `Equal` (PascalCase states).
 *
 * The mapping is by name, so it follows the generated enums:
 *   ACCELERATOR_KIND_GPU ↔ gpu, TAINT_EFFECT_NO_SCHEDULE ↔ NoSchedule.
 * Value 0 (`*_UNSPECIFIED`) is "not set" and maps to the empty string.
 */

type ProtoEnum = Readonly<Record<string | number, string | number>>;

export interface EnumWords {
  /** The word of a proto value; '' for 0; `unknown(N)` for a value this build does not know. */
  word(value: number): string;
  /** The proto value of a word the state machine accepts (validated before this is called). */
  value(word: string): number;
}

export function enumWords(protoEnum: ProtoEnum, prefix: string, style: 'lowercase' | 'PascalCase'): EnumWords {
  return {
    word(value) {
      if (value === 0) return '';
      const name = protoEnum[value];
      if (typeof name !== 'string' || !name.startsWith(prefix)) return `unknown(${value})`;
      const words = name.slice(prefix.length).split('_');
      return style === 'lowercase'
        ? words.join('').toLowerCase()
        : words.map((w) => w.charAt(0) + w.slice(1).toLowerCase()).join('');
    },
    value(word) {
      const name = prefix + word.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
      const value = protoEnum[name];
      // The caller validated `word` against the state machine's list; a miss means the lists diverged.
      if (typeof value !== 'number') throw new RangeError(`${word} has no ${prefix}* value in the generated enum`);
      return value;
    },
  };
}
