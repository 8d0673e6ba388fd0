/**
 * Bounded waiting. Every wait loop of the harness goes through `waitUntil`, so
 * none can spin forever: each has a deadline and fails with WaitTimeoutError,
 * carrying the last error the probe threw (why the condition did not hold).
 */
import assert from 'node:assert/strict';
import { setTimeout as sleepMs } from 'node:timers/promises';
import { WaitTimeoutError } from './errors.js';

export { sleepMs };

export interface WaitOptions {
  /** Human-readable condition, used in the timeout error ("member m1 to be healthy"). */
  readonly what: string;
  readonly timeoutMs: number;
  /** Pause between two probes. */
  readonly intervalMs: number;
  /** Checked before each probe: an error returned here ends the wait at once (e.g. a process died). */
  readonly abortIf?: () => Error | undefined;
}

/**
 * Calls `probe` until it returns a value other than `undefined`/`false`, then
 * returns that value. A probe that throws counts as "not yet"; the last error
 * becomes the timeout's cause.
 */
export async function waitUntil<T>(
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  options: WaitOptions,
): Promise<T> {
  assert.ok(options.timeoutMs > 0 && options.intervalMs > 0, 'waitUntil: timeoutMs and intervalMs must be > 0');
  const deadlineMs = Date.now() + options.timeoutMs;
  let lastError: unknown;
  for (;;) {
    const abort = options.abortIf?.();
    if (abort !== undefined) throw abort;
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    const leftMs = deadlineMs - Date.now();
    if (leftMs <= 0) throw new WaitTimeoutError(options.what, options.timeoutMs, { cause: lastError });
    await sleepMs(Math.min(options.intervalMs, leftMs));
  }
}
