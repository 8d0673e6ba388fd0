/**
 * Seeded random fault schedules over the harness, with safety checks after
 * every step and a liveness check after healing. Shared by the randomized test
 * and by anyone replaying a failing seed (`run(seed, steps, options)`).
 *
 * Safety checked after every step: at most one leader per term; no two
 * replicas applied different entries (by term) at one index; the committed
 * (applied) prefix seen so far is never lost by the cluster's leaders.
 */
import { ConfChangeType, nodeId, RaftError, Role, seededRng, type ConfChange } from '../../../src/raft/core/index.js';
import { Cluster } from './harness.js';

export interface ScheduleOptions {
  /** Replicas in the initial configuration. */
  voters: number;
  /** Extra replicas outside it, which membership changes may add. */
  spares: number;
}

/** What the checks remember across steps. */
export class SafetyState {
  readonly leadersByTerm = new Map<number, string>();
  /** Index -> term of the entry applied there (by any replica). */
  readonly appliedTerms = new Map<number, number>();
  /** Index -> the lowest leader term seen with that index committed. */
  readonly commitTerms = new Map<number, number>();
}

/**
 * Election safety (one leader per term), state machine safety (one entry per
 * index), and leader completeness: a leader of term T holds every entry
 * committed by a leader of an earlier term.
 */
export function checkSafety(c: Cluster, s: SafetyState): void {
  const leaders: { id: string; term: number; commit: number; firstIndex: number; lastIndex: number }[] = [];
  for (const r of c.replicas.values()) {
    if (!r.up) continue;
    const st = r.core.status();
    if (st.role !== Role.Leader) continue;
    const t = st.hardState.term;
    const prev = s.leadersByTerm.get(t);
    if (prev !== undefined && prev !== r.id) throw new Error(`two leaders in term ${t}: ${prev}, ${r.id}`);
    s.leadersByTerm.set(t, r.id);
    leaders.push({ id: r.id, term: t, commit: st.hardState.commit, firstIndex: st.firstIndex, lastIndex: st.lastIndex });
  }
  for (const l of leaders) {
    for (let i = 1; i <= l.commit; i++) {
      const known = s.commitTerms.get(i);
      if (known === undefined || known > l.term) s.commitTerms.set(i, l.term);
    }
  }
  for (const l of leaders) {
    for (const [index, commitTerm] of s.commitTerms) {
      if (commitTerm < l.term && index > l.lastIndex) throw new Error(`leader ${l.id} of term ${l.term} lacks entry ${index} committed in term ${commitTerm}`);
    }
  }
  for (const r of c.replicas.values()) {
    for (const [index, t] of r.appliedTerms) {
      const seen = s.appliedTerms.get(index);
      if (seen !== undefined && seen !== t) throw new Error(`index ${index} applied with terms ${seen} and ${t}`);
      s.appliedTerms.set(index, t);
    }
  }
}

function randomChange(rng: ReturnType<typeof seededRng>, c: Cluster, leader: string, removed: Set<string>): ConfChange | null {
  const conf = c.core(leader).status().confState;
  const outside = [...c.replicas.keys()].filter((id) => !conf.voters.includes(id) && !conf.learners.includes(id) && !removed.has(id));
  const pick = rng.nextInt(4);
  if (pick === 0 && outside.length > 0) return { type: ConfChangeType.AddLearner, nodeId: nodeId(outside[0]!) };
  if (pick === 1 && outside.length > 0) return { type: ConfChangeType.AddVoter, nodeId: nodeId(outside[0]!) };
  if (pick === 2 && conf.learners.length > 0) return { type: ConfChangeType.PromoteLearner, nodeId: conf.learners[0]! };
  if (pick === 3 && conf.voters.length > 2) return { type: ConfChangeType.RemoveNode, nodeId: conf.voters[rng.nextInt(conf.voters.length)]! };
  return null;
}

function tryOp(op: () => unknown): void {
  try {
    op();
  } catch (err) {
    if (!(err instanceof RaftError)) throw err; // assertion failures are bugs: let them out
  }
}

export function run(seed: number, steps: number, options: ScheduleOptions = { voters: 3, spares: 0 }): Cluster {
  const rng = seededRng(seed);
  const ids = Array.from({ length: options.voters + options.spares }, (_, i) => `n${i + 1}`);
  const c = new Cluster(ids, { seed, bootstrap: { voters: ids.slice(0, options.voters).map(nodeId), learners: [] } });
  const safety = new SafetyState();
  const removed = new Set<string>();
  let dropRate = 0;
  c.dropIf = () => dropRate > 0 && rng.nextInt(100) < dropRate;
  let proposed = 0;
  for (let step = 0; step < steps; step++) {
    const action = rng.nextInt(100);
    const id = ids[rng.nextInt(ids.length)]!;
    const r = c.get(id);
    if (action < 50) {
      c.tick(1);
    } else if (action < 72) {
      if (r.up) tryOp(() => c.propose(id, `s${seed}-${proposed++}`));
      c.stabilize();
    } else if (action < 76) {
      dropRate = rng.nextInt(3) * 20;
    } else if (action < 80) {
      c.heal();
      if (rng.nextInt(2) === 0) c.isolate(id);
    } else if (action < 84) {
      if (r.up && c.upIds().length === ids.length) c.crash(id);
      else if (!r.up) c.restart(id);
    } else if (action < 88) {
      if (r.up && r.appliedIndex > 0) c.compact(id, rng.nextInt(3));
    } else if (action < 91) {
      const l = c.leader();
      if (l !== null) tryOp(() => l.core.transferLeadership(nodeId(ids[rng.nextInt(ids.length)]!)));
    } else if (action < 95) {
      if (r.up) tryOp(() => r.core.readIndex(new TextEncoder().encode(`r${step}`)));
      const st = r.core.status();
      if (r.up && st.leader !== null && rng.nextInt(3) === 0) r.core.reportUnreachable(st.leader);
    } else if (options.spares > 0 || options.voters > 3) {
      const l = c.leader();
      const change = l === null ? null : randomChange(rng, c, l.id, removed);
      if (l !== null && change !== null) {
        tryOp(() => {
          l.core.proposeConfChange(change);
          if (change.type === ConfChangeType.RemoveNode) removed.add(change.nodeId);
        });
      }
      c.stabilize();
    }
    checkSafety(c, safety);
  }
  checkLiveness(c, seed, safety);
  return c;
}

/** Heal everything; a leader must emerge and a final proposal must reach every member. */
function checkLiveness(c: Cluster, seed: number, safety: SafetyState): void {
  c.dropIf = null;
  c.heal();
  for (const r of c.replicas.values()) if (!r.up) c.restart(r.id);
  const final = `final-${seed}`;
  let appended = false;
  for (let i = 0; i < 200 && !appended; i++) {
    c.tick(1);
    const l = c.leader();
    if (l === null) continue;
    try {
      l.core.propose(new TextEncoder().encode(final));
      appended = true;
    } catch (err) {
      if (!(err instanceof RaftError)) throw err;
    }
  }
  if (!appended) throw new Error(`seed ${seed}: no leader accepted a proposal within 200 ticks after healing`);
  c.tick(30);
  checkSafety(c, safety);
  const conf = c.leader()?.core.status().confState;
  if (conf === undefined) throw new Error(`seed ${seed}: leader lost after healing`);
  for (const id of [...conf.voters, ...conf.learners]) {
    if (!c.get(id).appliedData.includes(final)) throw new Error(`seed ${seed}: member ${id} missing final write`);
  }
}
