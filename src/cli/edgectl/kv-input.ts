/**
 * Where a kv value comes from: the VALUE argument (UTF-8 text) or --file
 * (a path, or `-` for stdin), exactly one of them. Reading is bounded by the
 * largest value the cluster accepts, so a wrong file never fills memory.
 */
import { open } from 'node:fs/promises';
import { KV_VALUE_BYTES_MAX } from '../../fsm/limits.js';
import { UsageError } from './failure.js';

export interface ValueSource {
  /** The VALUE argument. */
  readonly text?: string;
  /** --file: a path, or `-` for stdin. */
  readonly file?: string;
}

export async function readValue(source: ValueSource, stdin: NodeJS.ReadableStream = process.stdin): Promise<Uint8Array> {
  if (source.text !== undefined && source.file !== undefined) throw new UsageError('give the value either as an argument or with --file, not both');
  if (source.text !== undefined) return checked(Buffer.from(source.text, 'utf8'), 'VALUE');
  if (source.file === undefined) throw new UsageError('a value is required: give it as an argument or with --file PATH (- for stdin)');
  return source.file === '-' ? readStream(stdin) : readFileBounded(source.file);
}

function tooLarge(what: string): UsageError {
  return new UsageError(`${what}: the value is larger than ${KV_VALUE_BYTES_MAX} bytes, the most the cluster stores`);
}

function checked(bytes: Uint8Array, what: string): Uint8Array {
  if (bytes.byteLength > KV_VALUE_BYTES_MAX) throw tooLarge(what);
  return bytes;
}

async function readFileBounded(path: string): Promise<Uint8Array> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    throw new UsageError(`--file: cannot open ${path}: ${(err as Error).message}`, { cause: err });
  }
  try {
    // One byte more than allowed tells "too large" apart from "exactly the limit".
    const buffer = Buffer.alloc(KV_VALUE_BYTES_MAX + 1);
    let filled = 0;
    while (filled < buffer.byteLength) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.byteLength - filled, null);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return checked(buffer.subarray(0, filled), `--file ${path}`);
  } finally {
    await handle.close();
  }
}

async function readStream(stream: NodeJS.ReadableStream): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk);
    total += bytes.byteLength;
    if (total > KV_VALUE_BYTES_MAX) throw tooLarge('--file -');
    chunks.push(bytes);
  }
  return Buffer.concat(chunks, total);
}
