/**
 * Fault points for tests and the chaos suite: per-peer delay, random drop and
 * blackhole, switchable at runtime.
 *
 * Off by default and free when off: the transport reads `enabled` (one field)
 * per send and per received batch and does nothing else unless a rule exists.
 *
 * A rule applies to one direction of one peer, seen from this replica:
 * 'outbound' acts on messages this replica sends to the peer (before they are
 * queued), 'inbound' on messages received from it (before delivery).
 * - drop: each message is discarded with probability dropProbability;
 * - blackhole: every message is discarded, and snapshot transfers fail;
 * - delay: surviving messages are held for delayMs (snapshot chunks too).
 * Dropped messages are counted (stats().peers[p].faultDropped) but not
 * reported as drops: to the driver they look like loss on the network.
 */
import { assert } from '../core/errors.js';
import type { NodeId } from '../core/types.js';

export type FaultDirection = 'outbound' | 'inbound';

export interface FaultRule {
  readonly delayMs: number;
  readonly dropProbability: number;
  readonly blackhole: boolean;
}

/** What to do with one message: pass now, drop, or hold for a number of milliseconds. */
export type FaultVerdict = 'pass' | 'drop' | number;

const NO_FAULT: FaultRule = { delayMs: 0, dropProbability: 0, blackhole: false };

export class FaultPoints {
  /** True while at least one rule is set. The only field read on the hot path when faults are off. */
  enabled = false;
  private readonly rules = new Map<string, FaultRule>();

  /** `random` is uniform in [0, 1); inject a seeded one for reproducible chaos runs. */
  constructor(private readonly random: () => number = Math.random) {}

  /** Merges `rule` into the current rule for `peer` in `direction` ('both' sets the two). */
  set(peer: NodeId, rule: Partial<FaultRule>, direction: FaultDirection | 'both' = 'outbound'): void {
    for (const dir of direction === 'both' ? (['outbound', 'inbound'] as const) : [direction]) {
      const merged = { ...(this.rules.get(key(peer, dir)) ?? NO_FAULT), ...rule };
      assert(merged.delayMs >= 0 && Number.isFinite(merged.delayMs), 'fault delay is a finite ms count');
      assert(merged.dropProbability >= 0 && merged.dropProbability <= 1, 'drop probability in [0, 1]');
      if (isNoop(merged)) this.rules.delete(key(peer, dir));
      else this.rules.set(key(peer, dir), merged);
    }
    this.enabled = this.rules.size > 0;
  }

  setDelay(peer: NodeId, delayMs: number, direction: FaultDirection | 'both' = 'outbound'): void {
    this.set(peer, { delayMs }, direction);
  }

  setDropProbability(peer: NodeId, dropProbability: number, direction: FaultDirection | 'both' = 'outbound'): void {
    this.set(peer, { dropProbability }, direction);
  }

  setBlackhole(peer: NodeId, blackhole: boolean, direction: FaultDirection | 'both' = 'outbound'): void {
    this.set(peer, { blackhole }, direction);
  }

  /** Removes the rules of `peer`, or every rule when no peer is given. */
  clear(peer?: NodeId): void {
    if (peer === undefined) this.rules.clear();
    else for (const dir of ['outbound', 'inbound'] as const) this.rules.delete(key(peer, dir));
    this.enabled = this.rules.size > 0;
  }

  rule(peer: NodeId, direction: FaultDirection): FaultRule {
    return this.rules.get(key(peer, direction)) ?? NO_FAULT;
  }

  /** Decides the fate of one message. Call only when `enabled`. */
  verdict(peer: NodeId, direction: FaultDirection): FaultVerdict {
    const rule = this.rules.get(key(peer, direction));
    if (rule === undefined) return 'pass';
    if (rule.blackhole) return 'drop';
    if (rule.dropProbability > 0 && this.random() < rule.dropProbability) return 'drop';
    return rule.delayMs > 0 ? rule.delayMs : 'pass';
  }
}

function key(peer: NodeId, direction: FaultDirection): string {
  return `${direction}\u0000${peer}`;
}

function isNoop(rule: FaultRule): boolean {
  return rule.delayMs === 0 && rule.dropProbability === 0 && !rule.blackhole;
}
