/**
 * Failover measurement, generic over the system: kill -9 the leader, then time
 * until the first acknowledged write through a client holding all endpoints.
 * The clock starts just before the kill signal is sent and stops when the
 * write is acknowledged; the write's client does its own failover and carries
 * its own (bounded) deadline, so a round always ends.
 */
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { maximum, median } from './stats.js';

export interface FailoverTarget {
  /** Brings the cluster to full health and readies the client; returns the leader to kill. */
  prepare(): Promise<number>;
  /** Sends SIGKILL to member `leader` (synchronously, before returning its promise) and awaits its exit. */
  kill(leader: number): Promise<void>;
  /** One write through the all-endpoints client; resolves when acknowledged. */
  write(): Promise<void>;
  /** Restarts the killed member so that the next round starts from a full cluster. */
  recover(leader: number): Promise<void>;
}

export interface FailoverSummary {
  readonly rounds: number;
  readonly median_ms: number;
  readonly max_ms: number;
  /** Each round's time, in round order. */
  readonly rounds_ms: readonly number[];
}

/** One round: milliseconds from the kill signal to the first acknowledged write. */
export async function measureFailoverRound(target: FailoverTarget): Promise<number> {
  const leader = await target.prepare();
  const killedAtMs = performance.now();
  await target.kill(leader);
  await target.write();
  const failoverMs = performance.now() - killedAtMs;
  await target.recover(leader);
  return failoverMs;
}

/** `rounds` rounds, summarised by median and max. */
export async function measureFailover(target: FailoverTarget, rounds: number): Promise<FailoverSummary> {
  assert.ok(Number.isInteger(rounds) && rounds > 0 && rounds <= 100, `rounds ${rounds} in 1..100`);
  const times: number[] = [];
  for (let round = 0; round < rounds; round++) times.push(await measureFailoverRound(target));
  return { rounds, median_ms: median(times), max_ms: maximum(times), rounds_ms: times };
}
