/**
 * The etcd side of the benchmarks' workloads: ops for the load generator
 * (Put with fixed-size keys and values, linearizable or serializable Range)
 * and the failover target. The Edgernetes side provides the same shapes, so a
 * bench drives both with the same load generator and measurement code.
 */
import { randomBytes } from 'node:crypto';
import type { EtcdClient } from './etcd-client.js';
import type { EtcdCluster } from './etcd-cluster.js';
import type { FailoverTarget } from './failover.js';
import type { Op } from './loadgen.js';

/** Keys are `bench/` + 10 digits: 16 bytes each, cycling over KEY_SPACE distinct keys. */
export const KEY_SPACE = 10_000;
export const KEY_BYTES = 16;

/** The benchmark key for op number `sequence`. */
export function benchKey(sequence: number): string {
  return `bench/${String(sequence % KEY_SPACE).padStart(KEY_BYTES - 'bench/'.length, '0')}`;
}

/** A random value of `valueBytes` bytes, made once and reused by every op. */
export function benchValue(valueBytes: number): Buffer {
  if (!(Number.isInteger(valueBytes) && valueBytes >= 0 && valueBytes <= 1 << 20)) {
    throw new RangeError(`valueBytes: ${valueBytes} not in 0..1 MiB`);
  }
  return randomBytes(valueBytes);
}

/** Op: Put benchKey(sequence) = value. */
export function etcdPutOp(client: EtcdClient, value: Buffer): Op {
  return async ({ sequence }) => {
    await client.put(benchKey(sequence), value);
  };
}

/** Op: Range of one of the keys written by `etcdPutOp` (preload them first). */
export function etcdRangeOp(client: EtcdClient, options: { serializable: boolean }): Op {
  return async ({ sequence }) => {
    await client.range(benchKey(sequence), options);
  };
}

/**
 * Failover target over an etcd cluster. `client` holds all endpoints; before
 * each kill it is made to prefer the leader, the worst case (a client pinned to
 * a follower would not even see the leader die) and the usual one (clients
 * send writes where they are served fastest).
 */
export function etcdFailoverTarget(cluster: EtcdCluster, client: EtcdClient, value: Buffer): FailoverTarget {
  let sequence = 0;
  return {
    async prepare() {
      await cluster.waitHealthy();
      const leader = await cluster.leaderIndex();
      // Connect every channel now, so no round pays a (re)connection the other rounds do not.
      await client.connectAll(cluster.options.waitTimeoutMs);
      client.prefer(cluster.endpoints[leader]!);
      await client.put(benchKey(sequence++), value);
      return leader;
    },
    kill: (leader) => cluster.kill(leader),
    async write() {
      await client.put(benchKey(sequence++), value);
    },
    recover: (leader) => cluster.restart(leader),
  };
}
