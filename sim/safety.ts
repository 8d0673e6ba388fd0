/**
 * The Raft safety properties, checked as the run goes (each check is O(1) or
 * O(entries written), so it can run after every event):
 *
 *  - Election Safety, with the vote rules behind it: see election-checks.ts.
 *  - Log Matching: every stored entry gets a prefix hash (log-image.ts); one
 *    global map (index, term) -> prefix hash must never hold two values, i.e.
 *    two logs with an entry of the same index and term agree on everything up
 *    to it.
 *  - Leader Completeness: when a new leader of term T writes its first entry
 *    of T at index k, its log up to k-1 (its log when elected) must hold every
 *    entry committed IN an earlier term. An entry is committed in the term of
 *    the leader whose counting committed it (possibly later than the entry's
 *    own term). The simulator records, for each committed index, the term of
 *    the replica that first reported it committed: exact when that is the
 *    leader (the usual case, as the leader learns its commit index before any
 *    follower), an upper bound otherwise, which only makes the check lenient.
 *  - State Machine Safety: one global map index -> entry hash of applied
 *    entries, and index -> state hash after applying it (also checked when a
 *    snapshot is installed).
 *  - Promises: a granted vote, or an acknowledgement of entries, is sent only
 *    once it is durable (else a crash lets the replica vote twice in a term,
 *    or lose entries a leader counted toward commit).
 *  - Commit rule: a leader advances its commit index only to an entry of its
 *    own term (§5.4.2; counting replicas of older entries is unsafe).
 *  - Durability: every committed entry stays durable (on disk, or under a
 *    durable snapshot) on enough voters of the committed configuration that
 *    every quorum includes one of them, across any crash.
 *
 * The global committed log (terms and prefix hashes for 1..committedIndex, and
 * the membership it commits) is learnt from the replicas' commit indexes.
 */
import {
  EntryType,
  MessageType,
  type ConfState,
  type Entry,
  type Message,
  type SnapshotMetadata,
} from '../src/raft/core/types.js';
import { decodeConfChange } from '../src/raft/core/confchange-codec.js';
import { SimViolation } from './errors.js';
import { hashBytes, mixInt, HASH_SEED } from './hash.js';
import { replicaNumber } from './ids.js';
import { nextConf } from './kv.js';
import { ElectionChecks } from './election-checks.js';
import type { DiskImage } from './disk.js';

/** Terms are below 2^20 in any run (asserted), so (index, term) packs into one safe integer. */
const TERM_SPAN = 1 << 20;

function entryKey(index: number, term: number): number {
  if (term >= TERM_SPAN) throw new SimViolation('core-contract', `term ${term} beyond the simulator's range`);
  return index * TERM_SPAN + term;
}

function entryHash(entry: Entry): number {
  return mixInt(mixInt(mixInt(mixInt(HASH_SEED, entry.index), entry.term), entry.type), hashBytes(entry.data));
}

const sameMembers = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && a.every((x) => b.includes(x));

interface PendingLeaderCheck {
  readonly term: number;
}

export class SafetyChecker {
  /** Election checks (one leader per term, vote quorums, one vote per voter and term). */
  readonly elections = new ElectionChecks();
  private readonly prefixHashByEntry = new Map<number, number>([[0, 0]]);
  private readonly committedTerms: number[] = [0];
  private readonly committedPrefixHashes: number[] = [0];
  /** For each committed index, the term it was committed in (an upper bound; non-decreasing). */
  private readonly commitTerms: number[] = [0];
  private conf: ConfState;
  private readonly appliedEntryHashes: number[] = [];
  private readonly appliedStateHashes: number[] = [];
  private readonly pendingLeaderChecks = new Map<number, PendingLeaderCheck>();
  /** Terms of the committed log where it changes (for "last committed index of a term < T"). */
  private maxTermSeen = 0;

  constructor(bootstrapConf: ConfState) {
    this.conf = bootstrapConf;
  }

  get committedIndex(): number {
    return this.committedTerms.length - 1;
  }

  /** The membership as of the committed index. */
  get committedConf(): ConfState {
    return this.conf;
  }

  get highestTerm(): number {
    return this.maxTermSeen;
  }

  /** `replica` acts as leader of `term` (see ElectionChecks.observeLeader); a new leader gets a completeness check. */
  observeLeader(replica: number, term: number): void {
    if (!this.elections.observeLeader(replica, term)) return;
    this.pendingLeaderChecks.set(replica, { term });
    if (term > this.maxTermSeen) this.maxTermSeen = term;
  }

  /** Called for every entry a replica writes, with its prefix hash in that replica's log. */
  onEntryWritten(replica: number, entry: Entry, prefixHash: number): void {
    const key = entryKey(entry.index, entry.term);
    const known = this.prefixHashByEntry.get(key);
    if (known === undefined) {
      this.prefixHashByEntry.set(key, prefixHash);
    } else if (known !== prefixHash) {
      throw new SimViolation(
        'log-matching',
        `n${replica} wrote index ${entry.index} term ${entry.term} whose log prefix differs from another replica's entry at the same index and term`,
      );
    }
    if (entry.term > this.maxTermSeen) this.maxTermSeen = entry.term;
  }

  /** After a replica wrote a batch: run its pending leader-completeness check if its first own-term entry is in. */
  afterWrite(replica: number, image: DiskImage, batch: readonly Entry[]): void {
    const pending = this.pendingLeaderChecks.get(replica);
    if (pending === undefined) return;
    const first = batch.find((e) => e.term === pending.term);
    if (first === undefined) return;
    this.pendingLeaderChecks.delete(replica);
    const required = this.lastCommittedInTermBefore(pending.term);
    if (this.covers(image, required) && required <= first.index - 1) return;
    throw new SimViolation(
      'leader-completeness',
      `n${replica} became leader of term ${pending.term} with a log (last ${first.index - 1}) that lacks committed entries up to ${required}`,
    );
  }

  /** The largest index committed in a term below `term` (commit terms never decrease). */
  private lastCommittedInTermBefore(term: number): number {
    let lo = 0;
    let hi = this.committedIndex;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.commitTerms[mid]! < term) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** True when `image` holds the committed log up to `index` (in its entries or under its snapshot). */
  covers(image: DiskImage, index: number): boolean {
    if (index === 0 || image.snapshotIndex >= index) return true;
    return image.log.prefixHashAt(index) === this.committedPrefixHashes[index];
  }

  /**
   * `replica`, at term `replicaTerm`, knows entries up to `commit` are
   * committed; `image` is its written log.
   */
  onCommitIndex(replica: number, replicaTerm: number, commit: number, image: DiskImage): void {
    const commitTerm = Math.max(replicaTerm, this.commitTerms[this.committedIndex]!);
    while (this.committedIndex < commit) {
      const i = this.committedIndex + 1;
      const prefixHash = image.log.prefixHashAt(i);
      const entry = image.log.entryAt(i);
      if (prefixHash === -1 || entry === undefined) break;
      this.committedTerms.push(entry.term);
      this.committedPrefixHashes.push(prefixHash);
      this.commitTerms.push(commitTerm);
      if (entry.type === EntryType.ConfChange) {
        const change = decodeConfChange(entry.data);
        this.conf = nextConf(this.conf, change.type, change.nodeId);
      }
    }
    const check = Math.min(commit, this.committedIndex);
    const held = image.log.prefixHashAt(check);
    if (held !== -1 && held !== this.committedPrefixHashes[check]) {
      throw new SimViolation('log-matching', `n${replica} holds a different log than the cluster's committed log at committed index ${check}`);
    }
  }

  /** `replica` applied `entry`; its state machine's hash after it is `stateHash`. */
  onApply(replica: number, replicaTerm: number, entry: Entry, stateHash: number, image: DiskImage): void {
    const i = entry.index;
    if (i > this.committedIndex) this.onCommitIndex(replica, replicaTerm, i, image);
    if (i > this.committedIndex) {
      throw new SimViolation('state-machine-safety', `n${replica} applied index ${i} that is not known to be committed (commit ${this.committedIndex})`);
    }
    if (entry.term !== this.committedTerms[i]) {
      throw new SimViolation('state-machine-safety', `n${replica} applied index ${i} term ${entry.term}, but the committed entry there has term ${this.committedTerms[i]}`);
    }
    const h = entryHash(entry);
    const known = this.appliedEntryHashes[i];
    if (known === undefined) this.appliedEntryHashes[i] = h;
    else if (known !== h) throw new SimViolation('state-machine-safety', `n${replica} applied a different entry at index ${i} than another replica`);
    this.checkStateHash(replica, i, stateHash, 'applying');
  }

  onSnapshotInstalled(replica: number, metadata: SnapshotMetadata, stateHash: number, smConf: ConfState): void {
    const i = metadata.index;
    if (i > this.committedIndex) {
      throw new SimViolation('state-machine-safety', `n${replica} installed a snapshot at ${i} beyond the committed index ${this.committedIndex}`);
    }
    if (this.committedTerms[i] !== metadata.term) {
      throw new SimViolation('state-machine-safety', `n${replica} installed a snapshot at ${i} term ${metadata.term}; committed term there is ${this.committedTerms[i]}`);
    }
    const { voters, learners } = metadata.confState;
    if (!sameMembers(voters, smConf.voters) || !sameMembers(learners, smConf.learners)) {
      throw new SimViolation(
        'state-machine-safety',
        `n${replica} snapshot at ${i}: metadata membership ${JSON.stringify(metadata.confState)} differs from the state machine's ${JSON.stringify(smConf)}`,
      );
    }
    this.checkStateHash(replica, i, stateHash, 'installing a snapshot at');
  }

  private checkStateHash(replica: number, index: number, stateHash: number, what: string): void {
    const known = this.appliedStateHashes[index];
    if (known === undefined) this.appliedStateHashes[index] = stateHash;
    else if (known !== stateHash) {
      throw new SimViolation('state-machine-safety', `n${replica} reached a different state machine state after ${what} index ${index} than another replica`);
    }
  }

  /** The prefix hash of the entry (index, term) as first written anywhere; a snapshot of an unknown entry breaks Log Matching. */
  prefixHashOf(index: number, term: number, replica: number): number {
    const known = this.prefixHashByEntry.get(entryKey(index, term));
    if (known === undefined) {
      throw new SimViolation('log-matching', `n${replica} has a snapshot at index ${index} term ${term}, an entry no replica ever wrote`);
    }
    return known;
  }

  /** `replica` is sending `m`; a granted vote or a successful append acknowledgement must already be durable. */
  checkPromise(replica: number, m: Message, durable: DiskImage, written: DiskImage): void {
    if (m.reject) return;
    if (m.type === MessageType.VoteResp) {
      const hs = durable.hardState;
      if (hs.term > m.term || (hs.term === m.term && hs.vote === m.to)) return;
      throw new SimViolation(
        'premature-promise',
        `n${replica} granted its vote in term ${m.term} to ${m.to} while its durable hard state is term ${hs.term} vote ${hs.vote ?? '-'}`,
      );
    }
    if (m.type === MessageType.AppResp && m.index > 0) {
      const i = m.index;
      if (durable.snapshotIndex >= i) return;
      const held = written.log.prefixHashAt(i);
      if (held !== -1 && durable.log.prefixHashAt(i) === held) return;
      throw new SimViolation(
        'premature-promise',
        `n${replica} acknowledged entries up to ${i} to ${m.to} while its durable log ends at ${durable.log.lastIndex} (snapshot ${durable.snapshotIndex})`,
      );
    }
  }

  /** A replica leading `term` since its previous Ready moved its commit index from `previous` to `commit`. */
  checkLeaderCommit(replica: number, term: number, previous: number, commit: number, written: DiskImage): void {
    if (commit <= previous) return;
    const committedTerm = written.log.termAt(commit);
    if (committedTerm === term) return;
    throw new SimViolation('commit-rule', `n${replica}, leader of term ${term}, advanced its commit index to ${commit}, an entry of term ${committedTerm}`);
  }

  /**
   * Every quorum of the committed configuration must include a voter that
   * durably holds the committed log (n - floor(n/2) of n voters).
   */
  checkDurability(durableImageOf: (replica: number) => DiskImage | undefined): void {
    const c = this.committedIndex;
    if (c === 0) return;
    const voters = this.conf.voters;
    const needed = voters.length - Math.floor(voters.length / 2);
    let holders = 0;
    const missing: string[] = [];
    for (const v of voters) {
      const image = durableImageOf(replicaNumber(v));
      if (image !== undefined && this.covers(image, c)) holders++;
      else missing.push(v);
    }
    if (holders < needed) {
      throw new SimViolation(
        'durability',
        `committed index ${c} is durable on only ${holders} of voters [${voters.join(',')}] (needs ${needed}); missing on ${missing.join(',')}`,
      );
    }
  }
}
