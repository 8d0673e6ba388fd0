/**
 * Bytes of commands (Raft entry data) and of stored records, with msgpackr.
 *
 * One dedicated Packr: structured clone off (no cycles or exotic types are
 * ever encoded) and records OFF. Records were measured (test/fsm/bench/
 * fsm-bench.ts): every entry must decode on its own on every replica, so a
 * record definition would travel inside every message; that made typical
 * commands (a kv put, a node registration) slightly larger and 30-45% slower
 * to encode than plain maps, with no consistent decode gain (within noise).
 *
 * decodeCommand() is total: any byte string yields either a validated
 * Command or a Rejection, never an exception, so a malformed entry is applied
 * as the same rejected no-op on every replica.
 */
import { Packr } from 'msgpackr';
import { CommandTooLargeError, ValidationError, rejection, type Rejection } from './errors.js';
import { COMMAND_VERSION, validateCommand, type Command } from './commands.js';
import { COMMAND_BYTES_MAX } from './limits.js';

const packr = new Packr({ structuredClone: false, useRecords: false, mapsAsObjects: true });

/**
 * Validates and encodes a command for proposal. Throws ValidationError
 * (INVALID_ARGUMENT) or CommandTooLargeError (RESOURCE_EXHAUSTED).
 */
export function encodeCommand(command: Command): Uint8Array {
  return encodeCanonicalCommand(command).bytes;
}

/** encodeCommand, also returning the validated (canonical) command the bytes encode. */
export function encodeCanonicalCommand(command: Command): { readonly bytes: Uint8Array; readonly canonical: Command } {
  const canonical = validateCommand(command);
  const bytes = packr.pack(canonical);
  if (bytes.byteLength > COMMAND_BYTES_MAX) throw new CommandTooLargeError(bytes.byteLength, COMMAND_BYTES_MAX);
  return { bytes, canonical };
}

export type DecodedCommand =
  { readonly ok: true; readonly command: Command } | { readonly ok: false; readonly rejection: Rejection };

/** Decodes and fully validates an entry's data. Never throws for any input. */
export function decodeCommand(data: Uint8Array): DecodedCommand {
  if (data.byteLength > COMMAND_BYTES_MAX) {
    return invalid('data', `entry data is ${data.byteLength} bytes; at most ${COMMAND_BYTES_MAX} are allowed`);
  }
  let value: unknown;
  try {
    value = packr.unpack(data);
  } catch {
    // The library's message is not part of the result: it could differ between versions.
    return invalid('data', 'entry data is not a single MessagePack value');
  }
  if (typeof value === 'object' && value !== null && Object.hasOwn(value, 'v')) {
    const version = (value as { v: unknown }).v;
    if (version !== COMMAND_VERSION) {
      return {
        ok: false,
        rejection: rejection(
          'UnsupportedVersion',
          `command version ${String(version)} is not supported (expected ${COMMAND_VERSION})`,
          {
            field: 'v',
          },
        ),
      };
    }
  }
  try {
    return { ok: true, command: validateCommand(value) };
  } catch (err) {
    if (err instanceof ValidationError) return invalid(err.field, err.message);
    throw err;
  }
}

function invalid(field: string, message: string): DecodedCommand {
  return { ok: false, rejection: rejection('Invalid', message, { field }) };
}

/** Encodes a record for storage. Deterministic for objects built in a fixed key order. */
export function encodeRecord(value: unknown): Buffer {
  return packr.pack(value);
}

/** Decodes a record this module stored (trusted bytes). */
export function decodeRecord<T>(bytes: Uint8Array): T {
  return packr.unpack(bytes) as T;
}
