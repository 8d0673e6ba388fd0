/**
 * Validation primitives for untrusted input (decoded log entries, API requests).
 *
 * Contract: every reader takes the value and its dotted `path`, and either
 * returns a canonical copy built only from validated parts or throws a
 * ValidationError naming `path`. Inputs are never returned as-is, so decoded
 * objects with odd prototypes or extra keys never reach the state.
 */
import { ValidationError } from './errors.js';

export type Path = string;

/** Objects must be plain records with no keys beyond `allowed`. */
export function readRecord(value: unknown, path: Path, allowed: readonly string[]): Readonly<Record<string, unknown>> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ValidationError(path, 'must be an object');
  }
  if (Object.getPrototypeOf(value) !== Object.prototype) {
    throw new ValidationError(path, 'must be a plain object');
  }
  // for-in rather than Object.keys: no array per record (every write passes here two to four times).
  for (const key in value) {
    if (Object.hasOwn(value, key) && !allowed.includes(key)) throw new ValidationError(join(path, key), 'unknown field');
  }
  return value as Record<string, unknown>;
}

/** A field's value, or undefined when it is absent or null (msgpack has no undefined). */
export function optionalField(record: Readonly<Record<string, unknown>>, key: string): unknown {
  if (!Object.hasOwn(record, key)) return undefined;
  const value = record[key];
  return value === null ? undefined : value;
}

export function requiredField(record: Readonly<Record<string, unknown>>, key: string, path: Path): unknown {
  const value = optionalField(record, key);
  if (value === undefined) throw new ValidationError(join(path, key), 'is required');
  return value;
}

export function join(path: Path, key: string | number): Path {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path === '' ? key : `${path}.${key}`;
}

export interface StringRule {
  readonly lengthMin?: number;
  readonly lengthMax: number;
  readonly pattern?: RegExp;
  /** Human words for the pattern, used in the error message. */
  readonly patternDescription?: string;
}

const LONE_SURROGATE = /\p{Cs}/u;

export function readString(value: unknown, path: Path, rule: StringRule): string {
  if (typeof value !== 'string') throw new ValidationError(path, 'must be a string');
  const lengthMin = rule.lengthMin ?? 0;
  if (value.length < lengthMin) {
    throw new ValidationError(
      path,
      lengthMin === 1 ? 'must not be empty' : `must have at least ${lengthMin} characters`,
    );
  }
  if (value.length > rule.lengthMax) {
    throw new ValidationError(path, `must have at most ${rule.lengthMax} characters`);
  }
  if (LONE_SURROGATE.test(value)) throw new ValidationError(path, 'is not well-formed Unicode');
  if (rule.pattern !== undefined && !rule.pattern.test(value)) {
    throw new ValidationError(path, `must be ${rule.patternDescription ?? `like ${rule.pattern.source}`}`);
  }
  return value;
}

export function readInteger(value: unknown, path: Path, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new ValidationError(path, 'must be an integer');
  }
  if (value < min || value > max) throw new ValidationError(path, `must be in [${min}, ${max}]`);
  return value;
}

export function readNumber(value: unknown, path: Path, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ValidationError(path, 'must be a finite number');
  }
  if (value < min || value > max) throw new ValidationError(path, `must be in [${min}, ${max}]`);
  // Canonical zero: -0 and 0 encode differently in msgpack.
  return value === 0 ? 0 : value;
}

export function readBoolean(value: unknown, path: Path): boolean {
  if (typeof value !== 'boolean') throw new ValidationError(path, 'must be a boolean');
  return value;
}

export function readBytes(value: unknown, path: Path, lengthMax: number): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new ValidationError(path, 'must be bytes');
  if (value.byteLength > lengthMax) {
    throw new ValidationError(path, `must be at most ${lengthMax} bytes (got ${value.byteLength})`);
  }
  return value;
}

export function readOneOf<T extends string>(value: unknown, path: Path, options: readonly T[]): T {
  if (typeof value !== 'string' || !(options as readonly string[]).includes(value)) {
    throw new ValidationError(path, `must be one of ${options.join(', ')}`);
  }
  return value as T;
}

export function readArray<T>(
  value: unknown,
  path: Path,
  lengthMax: number,
  readItem: (item: unknown, itemPath: Path) => T,
): T[] {
  if (!Array.isArray(value)) throw new ValidationError(path, 'must be a list');
  if (value.length > lengthMax) throw new ValidationError(path, `must have at most ${lengthMax} items`);
  return value.map((item, i) => readItem(item, join(path, i)));
}

/**
 * A string→string map, returned with keys sorted so equal maps encode to
 * equal bytes on every replica whatever order the proposer used.
 */
export function readStringMap(
  value: unknown,
  path: Path,
  entriesMax: number,
  readKey: (key: string, keyPath: Path) => string,
  readValue: (item: unknown, valuePath: Path) => string,
): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ValidationError(path, 'must be a map of strings');
  }
  if (Object.getPrototypeOf(value) !== Object.prototype) throw new ValidationError(path, 'must be a plain map');
  const keys = Object.keys(value).sort();
  if (keys.length > entriesMax) throw new ValidationError(path, `must have at most ${entriesMax} entries`);
  const out: Record<string, string> = {};
  for (const key of keys) {
    const keyPath = join(path, key);
    if (key === '__proto__') throw new ValidationError(keyPath, 'is a reserved key');
    out[readKey(key, keyPath)] = readValue((value as Record<string, unknown>)[key], keyPath);
  }
  return out;
}

/** Rejects duplicates in a list by a derived identity. */
export function requireUnique<T>(items: readonly T[], path: Path, identity: (item: T) => string): void {
  const seen = new Set<string>();
  items.forEach((item, i) => {
    const id = identity(item);
    if (seen.has(id)) throw new ValidationError(join(path, i), `duplicates ${JSON.stringify(id)}`);
    seen.add(id);
  });
}
