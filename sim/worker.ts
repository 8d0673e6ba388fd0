/** Worker thread for `--jobs`: runs each seed it is sent and posts the result back (see workers.ts). */
import { parentPort, workerData } from 'node:worker_threads';
import type { SimOptions } from './params.js';
import { runSeed, SimulatorCrashError } from './run.js';
import type { WorkerReply } from './workers.js';

const { options } = workerData as { options: SimOptions };
const port = parentPort;
if (port === null) throw new Error('sim/worker.ts must run as a worker thread');

port.on('message', (seed: number) => {
  let reply: WorkerReply;
  try {
    const result = runSeed(seed, options);
    const v = result.violation;
    reply = { kind: 'result', result: { ...result, violation: v === null ? null : { kind: v.kind, detail: v.detail } } };
  } catch (error) {
    const crash = error instanceof SimulatorCrashError ? error : null;
    const cause = crash !== null ? crash.cause : error;
    const message = String((cause as Error)?.stack ?? cause);
    reply = { kind: 'crash', seed, message, traceLines: crash?.traceLines ?? [], history: crash?.history ?? null };
  }
  port.postMessage(reply);
});
