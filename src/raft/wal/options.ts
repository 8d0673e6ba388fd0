/** WAL options, their defaults, and validation (once, at open, naming the field). */
import { RECORD_BODY_BYTES_LIMIT } from './format.js';
import { WalConfigError } from './errors.js';

const MiB = 1024 * 1024;

export interface WalOptions {
  /**
   * fdatasync every write, fsync files and the directory on create/rename.
   * Default true. Turn off ONLY in tests that say so: without it nothing is durable.
   */
  readonly sync?: boolean;
  /** Rotate to a new segment before a write would take the current one past this size. Default 64 MiB. */
  readonly segmentBytes?: number;
  /**
   * Extend the active segment this many bytes ahead of its data (ftruncate),
   * so most fdatasyncs need not also persist a new file size (measured here:
   * ~0.25 ms -> ~0.17 ms per sync). Kept modest because open reads the zeros
   * back. 0 turns preallocation off. Default 4 MiB.
   */
  readonly preallocateBytes?: number;
  /**
   * Largest record body. An append's entries are packed into runs up to this size;
   * one entry plus 25 bytes of framing must fit (else WalTooLargeError). Default 8 MiB.
   */
  readonly recordBodyBytesMax?: number;
  /**
   * Run a group commit's fdatasync on the calling thread while the recent ones
   * took less than this (ms) on average, else in the thread pool (see
   * sync-placement.ts). 0 (default): always the thread pool. Measured in a
   * 3-replica cluster on one disk: inline on every replica was no faster at 1
   * write in flight and 4 % slower at 16 (a leader's sync overlaps its
   * followers' round trip, and blocking its event loop delays their answers);
   * inline on followers only, 1-3 % faster at 1, 16 and 64 in flight, so the
   * server sets a bound and allows it while not leader (Wal.allowInlineSync).
   * A lone writer on an idle disk gains more (`npm run bench -- wal --inline-sync-ms 1`).
   */
  readonly inlineSyncMsMax?: number;
  /** Bytes of appends queued behind the write in flight; beyond it callers wait. Default 64 MiB. */
  readonly queueBytesMax?: number;
  /** Appends (and snapshot markers) queued behind the write in flight; beyond it callers wait. Default 4096. */
  readonly queueAppendsMax?: number;
  /** Callers allowed to wait for room in the queue; one more fails with WalOverloadedError. Default 4096. */
  readonly waitersMax?: number;
}

export type ResolvedWalOptions = Required<WalOptions>;
type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export const WAL_DEFAULTS: ResolvedWalOptions = {
  sync: true,
  segmentBytes: 64 * MiB,
  preallocateBytes: 4 * MiB,
  inlineSyncMsMax: 0,
  recordBodyBytesMax: 8 * MiB,
  queueBytesMax: 64 * MiB,
  queueAppendsMax: 4096,
  waitersMax: 4096,
};

function integerIn(field: string, value: number, min: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new WalConfigError(field, `must be an integer in [${min}, ${max}], got ${value}`);
  }
}

export function resolveWalOptions(options: WalOptions = {}): ResolvedWalOptions {
  const resolved: Mutable<ResolvedWalOptions> = { ...WAL_DEFAULTS };
  for (const [key, value] of Object.entries(options)) {
    if (!(key in WAL_DEFAULTS)) throw new WalConfigError(key, 'unknown option');
    if (value !== undefined) (resolved as Record<string, unknown>)[key] = value;
  }
  if (options.recordBodyBytesMax === undefined && Number.isSafeInteger(resolved.queueBytesMax)) {
    // A smaller queue brings the default record size down with it.
    resolved.recordBodyBytesMax = Math.min(WAL_DEFAULTS.recordBodyBytesMax, resolved.queueBytesMax);
  }
  if (typeof resolved.sync !== 'boolean') throw new WalConfigError('sync', 'must be a boolean');
  // Segments are read whole on replay and record offsets are u32, so stay well under 4 GiB.
  integerIn('segmentBytes', resolved.segmentBytes, 4096, 1024 * MiB);
  integerIn('preallocateBytes', resolved.preallocateBytes, 0, 1024 * MiB);
  integerIn('queueBytesMax', resolved.queueBytesMax, 4096, 1024 * MiB);
  integerIn(
    'recordBodyBytesMax',
    resolved.recordBodyBytesMax,
    256,
    Math.min(RECORD_BODY_BYTES_LIMIT, resolved.queueBytesMax),
  );
  if (!(Number.isFinite(resolved.inlineSyncMsMax) && resolved.inlineSyncMsMax >= 0 && resolved.inlineSyncMsMax <= 1000)) {
    throw new WalConfigError('inlineSyncMsMax', `must be a number in [0, 1000], got ${resolved.inlineSyncMsMax}`);
  }
  integerIn('queueAppendsMax', resolved.queueAppendsMax, 1, 1_000_000);
  integerIn('waitersMax', resolved.waitersMax, 0, 1_000_000);
  return resolved;
}
