/**
 * Runs seeds on worker threads (`--jobs J`): each worker takes the next seed
 * when it finishes one, so a slow seed does not hold the others back. Results
 * come back as plain data, are rebuilt into SeedResult, and are handed on in
 * seed order (so the output does not depend on the number of workers).
 */
import { Worker } from 'node:worker_threads';
import type { HistoryEvent } from '../src/check/types.js';
import { SimViolation, type ViolationKind } from './errors.js';
import type { SimOptions } from './params.js';
import { SimulatorCrashError, type SeedResult } from './run.js';

/** What a worker posts back for one seed. */
export type WorkerReply =
  | { readonly kind: 'result'; readonly result: Omit<SeedResult, 'violation'> & { violation: { kind: ViolationKind; detail: string } | null } }
  | {
      readonly kind: 'crash';
      readonly seed: number;
      readonly message: string;
      readonly traceLines: readonly string[];
      readonly history: readonly HistoryEvent[] | null;
    };

export async function runSeedsInWorkers(
  seeds: readonly number[],
  options: SimOptions,
  jobs: number,
  onResult: (result: SeedResult) => void,
): Promise<void> {
  let next = 0;
  const done = new Map<number, SeedResult>();
  let reported = 0;
  const report = (position: number, result: SeedResult): void => {
    done.set(position, result);
    for (let r = done.get(reported); r !== undefined; r = done.get(reported)) {
      done.delete(reported++);
      onResult(r);
    }
  };
  const workers = Array.from({ length: Math.min(jobs, seeds.length) }, () =>
    new Worker(new URL('./worker-entry.mjs', import.meta.url), { workerData: { options } }),
  );
  try {
    await Promise.all(
      workers.map(
        (worker) =>
          new Promise<void>((resolve, reject) => {
            let position = -1;
            const feed = (): void => {
              if (next >= seeds.length) return resolve();
              position = next++;
              worker.postMessage(seeds[position]);
            };
            worker.on('message', (reply: WorkerReply) => {
              if (reply.kind === 'crash') {
                reject(new SimulatorCrashError(reply.seed, reply.traceLines, { cause: new Error(reply.message) }, reply.history));
                return;
              }
              const { violation, ...rest } = reply.result;
              report(position, { ...rest, violation: violation === null ? null : new SimViolation(violation.kind, violation.detail) });
              feed();
            });
            worker.on('error', reject);
            feed();
          }),
      ),
    );
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
