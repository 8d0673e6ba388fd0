/**
 * Goal: prove the simulator finds real consensus bugs. Each case switches on
 * one deliberately broken rule in a test copy of the core (see
 * mutant-core.ts) and requires the simulator to report a violation within
 * SEEDS_MAX seeds; it reports which seed and which check caught it.
 * Method: run seeds 1, 2, ... of the default schedule against the mutant
 * until one reports a violation.
 */
import { describe, expect, it } from 'vitest';
import type { CoreModule } from '../../sim/core-module.js';
import { DEFAULT_OPTIONS } from '../../sim/params.js';
import { runSeed } from '../../sim/run.js';
import { mutantCore, type Mutation } from './mutant-core.js';

const SEEDS_MAX = 200;

interface Caught {
  readonly seed: number;
  readonly kind: string;
  readonly detail: string;
}

function hunt(core: CoreModule, replicas = 3): Caught | null {
  for (let seed = 1; seed <= SEEDS_MAX; seed++) {
    const { violation } = runSeed(seed, { ...DEFAULT_OPTIONS, replicas }, core);
    if (violation !== null) return { seed, kind: violation.kind, detail: violation.detail };
  }
  return null;
}

const MUTATIONS: ReadonlyArray<Mutation & { readonly expectKinds: readonly string[] }> = [
  {
    name: 'vote-without-up-to-date-check',
    file: 'raft.ts',
    anchor: 'if (canVote && this.log.isUpToDate(m.index, m.logTerm)) {',
    replacement: 'if (canVote) {',
    expectKinds: ['leader-completeness', 'log-matching', 'state-machine-safety', 'durability', 'linearizability'],
  },
  {
    name: 'count-votes-from-older-term',
    file: 'raft.ts',
    anchor: 'this.onLowerTerm(m);\n      return;',
    replacement: 'this.onLowerTerm(m);\n      if (m.type !== MessageType.VoteResp) return;',
    expectKinds: ['election-quorum', 'election-safety', 'leader-completeness', 'log-matching', 'state-machine-safety'],
  },
  {
    name: 'commit-previous-term-entry-by-counting',
    file: 'leader.ts',
    anchor: 'if (index <= r.log.committed || r.log.termAt(index) !== r.term) return false;',
    replacement: 'if (index <= r.log.committed) return false;',
    expectKinds: ['commit-rule', 'leader-completeness', 'log-matching', 'state-machine-safety', 'durability'],
  },
  {
    name: 'answer-vote-before-persisting-it',
    file: 'raft.ts',
    anchor: 'm.type === MessageType.AppResp || m.type === MessageType.VoteResp || m.type === MessageType.Vote',
    replacement: 'm.type === MessageType.AppResp || m.type === MessageType.Vote',
    expectKinds: ['premature-promise', 'double-vote', 'election-safety', 'election-quorum'],
  },
  {
    name: 'acknowledge-entries-before-persisting-them',
    file: 'raft.ts',
    anchor: 'm.type === MessageType.AppResp || m.type === MessageType.VoteResp || m.type === MessageType.Vote',
    replacement: 'm.type === MessageType.VoteResp || m.type === MessageType.Vote',
    expectKinds: ['premature-promise', 'durability', 'state-machine-safety', 'log-matching'],
  },
  {
    name: 'grant-read-index-without-quorum-round',
    file: 'reads.ts',
    anchor: '  if (r.tracker.isQuorum(round.acks)) finishRound(r);\n  else bcastHeartbeat(r, round.context);',
    replacement: '  finishRound(r);',
    expectKinds: ['linearizability'],
  },
];

describe(`the simulator catches each broken rule within ${SEEDS_MAX} seeds`, () => {
  for (const mutation of MUTATIONS) {
    it(mutation.name, { timeout: 240_000 }, async () => {
      const mutant = await mutantCore(mutation);
      let caught: Caught | null;
      try {
        caught = hunt(mutant.core);
      } finally {
        mutant.dispose();
      }
      expect(caught, `${mutation.name} survived ${SEEDS_MAX} seeds`).not.toBeNull();
      console.log(`${mutation.name}: caught by seed ${caught!.seed}: ${caught!.kind}: ${caught!.detail}`);
      expect(mutation.expectKinds).toContain(caught!.kind);
    });
  }
});
