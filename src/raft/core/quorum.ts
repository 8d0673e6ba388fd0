/**
 * Majority quorums over one voter set (single-server membership changes need
 * no joint quorums). Pure functions over small arrays.
 */

export type VoteResult = 'won' | 'lost' | 'pending';

export function quorumSize(voterCount: number): number {
  return Math.floor(voterCount / 2) + 1;
}

/**
 * The largest index acknowledged by a majority: sort the voters' match indexes
 * descending and take the quorum-th. `scratch` is reused to avoid allocation.
 * An empty voter set commits nothing.
 */
export function majorityIndex(matches: Float64Array, voterCount: number): number {
  if (voterCount === 0) return 0;
  const view = matches.subarray(0, voterCount);
  view.sort();
  // Ascending sort: the quorum-th largest is at position voterCount - quorumSize.
  return view[voterCount - quorumSize(voterCount)]!;
}

/** Tally granted/rejected votes among `voterCount` voters. */
export function tally(granted: number, rejected: number, voterCount: number): VoteResult {
  const q = quorumSize(voterCount);
  if (granted >= q) return 'won';
  if (voterCount - rejected < q) return 'lost';
  return 'pending';
}
