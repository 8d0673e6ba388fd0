/**
 * Alternating A/B runs: on a shared machine, load from other users drifts over
 * minutes, so running all of A and then all of B would credit the drift to one
 * system. Rounds alternate the order (A B, B A, A B, …), so each system runs
 * first in half of the rounds and drift falls on both alike.
 */
import assert from 'node:assert/strict';

/**
 * Runs `rounds` rounds; in each, every system's `run` once, in an order that
 * reverses every other round. Returns each system's results in round order.
 * Systems run one after another, never together (they would share the 2 cores).
 */
export async function runAlternating<T>(
  rounds: number,
  systems: Readonly<Record<string, (round: number) => Promise<T>>>,
): Promise<Record<string, T[]>> {
  assert.ok(Number.isInteger(rounds) && rounds > 0 && rounds <= 1_000, `rounds ${rounds} in 1..1000`);
  const names = Object.keys(systems);
  assert.ok(names.length > 0, 'runAlternating needs at least one system');
  const results: Record<string, T[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? names : [...names].reverse();
    for (const name of order) results[name]!.push(await systems[name]!(round));
  }
  return results;
}
