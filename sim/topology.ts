/**
 * Network partitions as a symmetric link matrix over replica numbers, and the
 * shapes the fault schedule uses. A replica not named when a partition was
 * made (one added later) keeps every link.
 *
 * Shapes:
 *  - isolate(x): x sees nobody; the others see each other.
 *  - split(minority, majority): no link crosses the two sides.
 *  - bridge(left, bridgeNode, right): left and right cannot see each other;
 *    the bridge node sees both sides.
 *  - ring(order): each replica sees only its two neighbours in `order`.
 */
import { simAssert } from './errors.js';

/** Replica numbers are 1..MAX_REPLICAS; the matrix is allocated once for that many. */
export const MAX_REPLICAS = 16;

export class LinkMatrix {
  /** blocked[a * (MAX_REPLICAS + 1) + b] === 1 when a and b cannot talk. */
  private readonly blocked = new Uint8Array((MAX_REPLICAS + 1) * (MAX_REPLICAS + 1));
  private blockedPairs = 0;

  connected(a: number, b: number): boolean {
    return this.blocked[a * (MAX_REPLICAS + 1) + b] === 0;
  }

  /** True when no link is blocked. */
  get healed(): boolean {
    return this.blockedPairs === 0;
  }

  block(a: number, b: number): void {
    simAssert(a >= 1 && a <= MAX_REPLICAS && b >= 1 && b <= MAX_REPLICAS, `replica numbers in range: ${a}, ${b}`);
    if (a === b || !this.connected(a, b)) return;
    this.blocked[a * (MAX_REPLICAS + 1) + b] = 1;
    this.blocked[b * (MAX_REPLICAS + 1) + a] = 1;
    this.blockedPairs++;
  }

  heal(): void {
    this.blocked.fill(0);
    this.blockedPairs = 0;
  }

  /** Pairs (a < b) among `replicas` whose link is blocked. */
  blockedAmong(replicas: readonly number[]): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (const a of replicas) for (const b of replicas) if (a < b && !this.connected(a, b)) out.push([a, b]);
    return out;
  }
}

export type PartitionShape =
  | { readonly kind: 'isolate'; readonly node: number }
  | { readonly kind: 'split'; readonly minority: readonly number[]; readonly majority: readonly number[] }
  | { readonly kind: 'bridge'; readonly left: readonly number[]; readonly bridge: number; readonly right: readonly number[] }
  | { readonly kind: 'ring'; readonly order: readonly number[] };

/** Replaces the matrix's links with `shape` over `replicas` (every replica the shape may concern). */
export function applyPartition(matrix: LinkMatrix, shape: PartitionShape, replicas: readonly number[]): void {
  matrix.heal();
  switch (shape.kind) {
    case 'isolate':
      for (const r of replicas) matrix.block(shape.node, r);
      return;
    case 'split':
      for (const a of shape.minority) for (const b of shape.majority) matrix.block(a, b);
      return;
    case 'bridge':
      for (const a of shape.left) for (const b of shape.right) matrix.block(a, b);
      return;
    case 'ring': {
      const n = shape.order.length;
      simAssert(n >= 4, 'a ring needs at least 4 replicas to differ from full connectivity');
      for (let i = 0; i < n; i++) {
        for (let j = i + 1; j < n; j++) {
          const neighbours = j === i + 1 || (i === 0 && j === n - 1);
          if (!neighbours) matrix.block(shape.order[i]!, shape.order[j]!);
        }
      }
      return;
    }
  }
}

export function describePartition(shape: PartitionShape): string {
  const list = (xs: readonly number[]): string => xs.map((x) => `n${x}`).join(',');
  switch (shape.kind) {
    case 'isolate':
      return `isolate n${shape.node}`;
    case 'split':
      return `split {${list(shape.minority)}} | {${list(shape.majority)}}`;
    case 'bridge':
      return `bridge {${list(shape.left)}} - n${shape.bridge} - {${list(shape.right)}}`;
    case 'ring':
      return `ring ${list(shape.order)}`;
  }
}
