// Goal: once a replica knows it was removed, its client calls end with the
// status that tells the truth: FAILED_PRECONDITION naming the removal for new
// calls and for reads (nothing was or will be done), UNAVAILABLE naming the
// removal for a write that was in flight (its outcome is unknown, so the
// client must retry it elsewhere, where its sequence number deduplicates it);
// before the removal, errors pass through untouched. Method: drive a
// RemovalGate with calls that fail before and after it closes.
import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../src/api/status.js';
import { RemovedFromClusterError, StoppedError } from '../../src/raft/node/errors.js';
import { RemovalGate } from '../../src/server/removal-gate.js';

const removal = new RemovedFromClusterError('n3', 57, 'peer n1', 'refused');

/** A call that fails with StoppedError once `gate` closes (as the driver's waiters do when the replica stops). */
function failingOnClose(gate: RemovalGate): () => Promise<never> {
  return async () => {
    await Promise.resolve();
    gate.close(removal);
    throw new StoppedError(`write: ${removal.message}`);
  };
}

async function errorOf(promise: Promise<unknown>): Promise<ApiError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApiError);
  return err as ApiError;
}

describe('removal gate', () => {
  it('passes results and errors through while open', async () => {
    const gate = new RemovalGate();
    expect(await gate.guardRead(async () => 1)).toBe(1);
    const timeout = new StoppedError('replica is stopping');
    await expect(gate.guardWrite(() => Promise.reject(timeout))).rejects.toBe(timeout);
    expect(() => gate.check()).not.toThrow();
  });

  it('refuses every call once closed with FAILED_PRECONDITION naming the removal', async () => {
    const gate = new RemovalGate();
    gate.close(removal);
    let ran = false;
    for (const call of [gate.guardRead(async () => (ran = true)), gate.guardWrite(async () => (ran = true))]) {
      const err = await errorOf(call);
      expect(err.code).toBe(status.FAILED_PRECONDITION);
      expect(err.message).toBe('n3 was removed from the cluster at configuration index 57 by peer n1; it no longer serves requests: use the remaining members');
    }
    expect(ran).toBe(false);
    expect(() => gate.check()).toThrow(ApiError);
    await expect(gate.whenClosed).resolves.toBe(removal);
  });

  it('ends a read in flight as FAILED_PRECONDITION, a write in flight as UNAVAILABLE (outcome unknown)', async () => {
    const reading = new RemovalGate();
    expect((await errorOf(reading.guardRead(failingOnClose(reading)))).code).toBe(status.FAILED_PRECONDITION);
    const writing = new RemovalGate();
    const err = await errorOf(writing.guardWrite(failingOnClose(writing)));
    expect(err.code).toBe(status.UNAVAILABLE);
    expect(err.message).toMatch(/^n3 was removed from the cluster at configuration index 57 by peer n1 while this request was in flight; its outcome is unknown/);
  });

  it('keeps the first removal', () => {
    const gate = new RemovalGate();
    gate.close(removal);
    gate.close(new RemovedFromClusterError('n3', 99, 'leader n2', 'applied'));
    expect(() => gate.check()).toThrow(/configuration index 57/);
  });
});
