// Goal: the real cluster is linearizable from a client's point of view, across a
// kill -9 of the leader and its restart. Method: five client processes (each its
// own EdgernetesClient, one operation at a time) run reads, writes and cas on
// three keys against a 3-replica cluster of real processes; the recorded
// Jepsen-style history (writes whose outcome is unknown are `info`) is judged by
// the linearizability checker.
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientError } from '../../src/client/errors.js';
import { checkHistory, type HistoryEvent } from '../../src/check/index.js';
import { LocalCluster, sleep } from '../support/local-cluster.js';

const KEYS = ['x', 'y', 'z'];
const PROCESSES = 5;
const RUN_MS = 8_000;

/** Errors after which the operation certainly had no effect. */
function definitelyFailed(err: unknown): boolean {
  const code = err instanceof ClientError ? err.code : -1;
  return code === status.INVALID_ARGUMENT || code === status.NOT_FOUND || code === status.FAILED_PRECONDITION;
}

describe('linearizability of the real cluster under a leader crash', () => {
  let cluster: LocalCluster;
  beforeAll(async () => {
    cluster = await LocalCluster.start({ replicas: 3 });
  }, 60_000);
  afterAll(async () => {
    await cluster?.destroy();
  }, 30_000);

  it('records a history the checker accepts', async () => {
    const history: HistoryEvent[] = [];
    let nextValue = 1;
    let seed = 42;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const endMs = Date.now() + RUN_MS;
    const endpoints = cluster.members.map((m) => m.address);

    const worker = async (process: number) => {
      const client = cluster.client(endpoints, 2_000);
      while (Date.now() < endMs) {
        const key = KEYS[random(KEYS.length)]!;
        const kind = random(3);
        if (kind === 0) {
          history.push({ process, type: 'invoke', f: 'read', key, value: null });
          try {
            const got = await client.get('lin', key);
            const value = got.found ? Number(Buffer.from(got.kv!.value).toString()) : null;
            history.push({ process, type: 'ok', f: 'read', key, value });
          } catch {
            history.push({ process, type: 'fail', f: 'read', key, value: null }); // a read changes nothing
          }
        } else if (kind === 1) {
          const value = nextValue++;
          history.push({ process, type: 'invoke', f: 'write', key, value });
          try {
            await client.put('lin', key, Buffer.from(String(value)));
            history.push({ process, type: 'ok', f: 'write', key, value });
          } catch (err) {
            history.push({ process, type: definitelyFailed(err) ? 'fail' : 'info', f: 'write', key, value });
          }
        } else {
          const expected = 1 + random(Math.max(1, nextValue - 1));
          const value = nextValue++;
          const pair: [number, number] = [expected, value];
          history.push({ process, type: 'invoke', f: 'cas', key, value: pair });
          try {
            const res = await client.compareAndSwap('lin', key, { value: Buffer.from(String(expected)) }, Buffer.from(String(value)));
            history.push({ process, type: 'ok', f: 'cas', key, value: pair, result: res.swapped });
          } catch (err) {
            history.push({ process, type: definitelyFailed(err) ? 'fail' : 'info', f: 'cas', key, value: pair });
          }
        }
      }
    };

    const nemesis = async () => {
      await sleep(2_500);
      const leader = await cluster.leader();
      await cluster.kill(leader);
      await sleep(2_500);
      await cluster.restart(leader);
    };

    await Promise.all([...Array.from({ length: PROCESSES }, (_, p) => worker(p)), nemesis()]);
    const completed = history.filter((e) => e.type === 'ok').length;
    expect(completed).toBeGreaterThan(100); // the cluster kept serving through the crash
    const verdict = checkHistory(history, { timeoutMs: 30_000 });
    if (verdict.kind !== 'linearizable') console.error(JSON.stringify(verdict, null, 2));
    expect(verdict.kind).toBe('linearizable');
  }, 60_000);
});
