// Goal: configuration is validated once, at construction, with an error that
// names the field; the seeded PRNG is deterministic and in range.
// Method: start from the defaults, break one field at a time, and check the
// ConfigError's field; sample the PRNG.
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  createRaft,
  DEFAULT_RAFT_CONFIG,
  logIndex,
  nodeId,
  seededRng,
  term,
  validateRaftConfig,
  type RaftConfig,
} from '../../../src/raft/core/index.js';

const base: RaftConfig = { ...DEFAULT_RAFT_CONFIG, id: nodeId('n1') };

function fieldOf(overrides: Record<string, unknown>): string | null {
  try {
    validateRaftConfig({ ...base, ...overrides } as RaftConfig);
    return null;
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain((err as ConfigError).field);
    return (err as ConfigError).field;
  }
}

describe('raft config validation', () => {
  it('accepts the defaults, which are as documented', () => {
    expect(validateRaftConfig(base)).toBe(base);
    expect(DEFAULT_RAFT_CONFIG.electionTimeoutTicks).toBe(10);
    expect(DEFAULT_RAFT_CONFIG.heartbeatIntervalTicks).toBe(1);
    expect(DEFAULT_RAFT_CONFIG.preVote).toBe(true);
    expect(DEFAULT_RAFT_CONFIG.checkQuorum).toBe(true);
    expect(DEFAULT_RAFT_CONFIG.readOnlyOption).toBe('safe');
  });

  const cases: [string, Record<string, unknown>][] = [
    ['id', { id: '' }],
    ['electionTimeoutTicks', { electionTimeoutTicks: 0 }],
    ['electionTimeoutTicks', { electionTimeoutTicks: 2.5 }],
    ['heartbeatIntervalTicks', { heartbeatIntervalTicks: -1 }],
    ['heartbeatIntervalTicks', { heartbeatIntervalTicks: 10 }],
    ['preVote', { preVote: 'yes' }],
    ['checkQuorum', { checkQuorum: 1 }],
    ['readOnlyOption', { readOnlyOption: 'fast' }],
    ['readOnlyOption', { readOnlyOption: 'leaseBased', checkQuorum: false }],
    ['maxInflightMsgs', { maxInflightMsgs: 0 }],
    ['maxInflightBytes', { maxInflightBytes: -5 }],
    ['maxInflightBytes', { maxInflightBytes: 100, maxMsgEntriesBytes: 1000 }],
    ['maxMsgEntriesBytes', { maxMsgEntriesBytes: 0 }],
    ['maxUncommittedEntriesBytes', { maxUncommittedEntriesBytes: 10, maxMsgEntriesBytes: 100, maxInflightBytes: 0 }],
    ['maxPendingProposals', { maxPendingProposals: 0 }],
    ['maxCommittedEntriesBytesPerReady', { maxCommittedEntriesBytesPerReady: Number.NaN }],
  ];
  for (const [field, overrides] of cases) {
    it(`names ${field} for ${JSON.stringify(overrides)}`, () => {
      expect(fieldOf(overrides)).toBe(field);
    });
  }

  it('accepts leaseBased with checkQuorum and no inflight byte limit', () => {
    expect(fieldOf({ readOnlyOption: 'leaseBased' })).toBeNull();
    expect(fieldOf({ maxInflightBytes: 0 })).toBeNull();
  });

  it('createRaft validates before anything else', () => {
    const initial = {
      hardState: { term: term(0), vote: null, commit: logIndex(0) },
      snapshot: null,
      entries: [],
      bootstrapConfState: { voters: [nodeId('n1')], learners: [] },
      appliedIndex: logIndex(0),
    };
    expect(() => createRaft({ ...base, maxInflightMsgs: 0 }, initial, seededRng(1))).toThrow(ConfigError);
  });
});

describe('seededRng', () => {
  it('replays the same sequence for the same seed, and differs across seeds', () => {
    const a = seededRng(42);
    const b = seededRng(42);
    const c = seededRng(43);
    const sa = Array.from({ length: 20 }, () => a.nextInt(1000));
    expect(Array.from({ length: 20 }, () => b.nextInt(1000))).toEqual(sa);
    expect(Array.from({ length: 20 }, () => c.nextInt(1000))).not.toEqual(sa);
  });

  it('stays in [0, bound) and covers it', () => {
    const r = seededRng(7);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const v = r.nextInt(10);
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThan(10);
      seen.add(v);
    }
    expect(seen.size).toBe(10);
  });
});
