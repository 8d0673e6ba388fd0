// Goal: proposeWhenNoChangePending waits out only the transient refusal
// ('conf-change-pending': another membership change is in flight) and only
// until the call's deadline; every other error reaches the caller at once.
// Method: a scripted proposer that refuses a given number of times; sleeps are
// recorded instead of waited (the deadline is real time, so the last case
// uses a deadline already near).
import { describe, expect, it } from 'vitest';
import { InvalidConfChangeError, ProposalDroppedError } from '../../src/raft/core/errors.js';
import { ConfChangeType, nodeId, type ConfChange } from '../../src/raft/core/types.js';
import { CONF_CHANGE_RETRY_MS, proposeWhenNoChangePending } from '../../src/server/membership-change.js';

const change: ConfChange = { type: ConfChangeType.AddLearner, nodeId: nodeId('n4') };
const pending = () => new ProposalDroppedError('conf-change-pending', 'membership change dropped: the change at 5 is not applied yet (applied 4)');

function proposer(refusals: Error[]) {
  let calls = 0;
  return {
    get calls() {
      return calls;
    },
    proposeConfChange: async () => {
      const err = refusals[calls++];
      if (err !== undefined) throw err;
      return 'applied';
    },
  };
}

describe('proposeWhenNoChangePending', () => {
  it('retries while another change is pending, then returns the result', async () => {
    const p = proposer([pending(), pending()]);
    const slept: number[] = [];
    const result = await proposeWhenNoChangePending(p, change, Date.now() + 10_000, async (ms) => void slept.push(ms));
    expect(result).toBe('applied');
    expect(p.calls).toBe(3);
    expect(slept).toEqual([CONF_CHANGE_RETRY_MS, CONF_CHANGE_RETRY_MS]);
  });

  it('returns any other refusal at once', async () => {
    const queueFull = new ProposalDroppedError('proposal-queue-full', 'proposal dropped: 10 entries wait to be handed out');
    const p = proposer([queueFull]);
    await expect(proposeWhenNoChangePending(p, change, Date.now() + 10_000, async () => undefined)).rejects.toBe(queueFull);
    expect(p.calls).toBe(1);
    const invalid = new InvalidConfChangeError('already-a-member', 'n4', 'it is in the configuration');
    await expect(proposeWhenNoChangePending(proposer([invalid]), change, Date.now() + 10_000, async () => undefined)).rejects.toBe(invalid);
  });

  it('gives up at the deadline with the last refusal', async () => {
    const refusals = Array.from({ length: 1000 }, pending);
    const p = proposer(refusals);
    const err = await proposeWhenNoChangePending(p, change, Date.now() + 50).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProposalDroppedError);
    expect((err as ProposalDroppedError).reason).toBe('conf-change-pending');
    expect(p.calls).toBeGreaterThan(1);
    expect(p.calls).toBeLessThan(1000);
  });
});
