/**
 * Encoding of the simulated key-value workload's commands (the data of Normal
 * log entries) and of read contexts. Fixed little-endian layout:
 *
 *   [0]      op: 1 = write, 2 = cas, 3 = probe (no effect; liveness marker)
 *   [1..4]   process (u32)     [5..8] sequence number (u32)
 *   [9]      key index (u8)
 *   [10..13] value / new value (i32)   [14..17] cas expected value (i32)
 *
 * Register values are non-negative integers; ABSENT (-1) encodes null.
 */
import { simAssert } from './errors.js';

export const KEY_NAMES: readonly string[] = ['x', 'y', 'z'];
export const ABSENT = -1;

export enum CommandOp {
  Write = 1,
  Cas = 2,
  Probe = 3,
}

export interface Command {
  readonly op: CommandOp;
  readonly process: number;
  readonly seq: number;
  readonly key: number;
  /** write: the value; cas: the new value; probe: unused. */
  readonly value: number;
  /** cas: the expected value (ABSENT = null). */
  readonly expected: number;
}

const COMMAND_BYTES = 18;

export function encodeCommand(command: Command): Uint8Array {
  const bytes = new Uint8Array(COMMAND_BYTES);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, command.op);
  view.setUint32(1, command.process, true);
  view.setUint32(5, command.seq, true);
  view.setUint8(9, command.key);
  view.setInt32(10, command.value, true);
  view.setInt32(14, command.expected, true);
  return bytes;
}

/** Decodes an entry's data; the leader's empty no-op entries are not commands (null). */
export function decodeCommand(data: Uint8Array): Command | null {
  if (data.length === 0) return null;
  simAssert(data.length === COMMAND_BYTES, `command of ${data.length} bytes`);
  const op = data[0]! as CommandOp;
  simAssert(op >= CommandOp.Write && op <= CommandOp.Probe, `command op ${op}`);
  return { op, process: u32(data, 1), seq: u32(data, 5), key: data[9]!, value: u32(data, 10) | 0, expected: u32(data, 14) | 0 };
}

/** Little-endian unsigned 32-bit integer at `offset` (decoding is hot: no DataView per call). */
function u32(b: Uint8Array, offset: number): number {
  return (b[offset]! | (b[offset + 1]! << 8) | (b[offset + 2]! << 16)) + b[offset + 3]! * 0x1000000;
}

/** A read request's context: the operation id, 8 bytes. */
export function encodeReadContext(opId: number): Uint8Array {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setFloat64(0, opId, true);
  return bytes;
}

export function decodeReadContext(context: Uint8Array): number | null {
  if (context.length !== 8) return null;
  return new DataView(context.buffer, context.byteOffset, 8).getFloat64(0, true);
}
