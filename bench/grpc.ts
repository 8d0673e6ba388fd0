/**
 * `npm run bench -- grpc [--seconds S] [--rounds R] [--results-dir DIR]`
 *
 * What one call costs in grpc-js itself, unary vs one message each way on a
 * long-lived bidi stream: the reason the client sends KV calls through the
 * Pipeline service (proto/edgernetes/api/v1/pipeline.proto). An echo server in
 * its own process (bench/lib/grpc-echo.ts) answers 32 B to each 300 B request
 * (about a KV put); a closed loop at 1 and 64 in flight, R alternating rounds
 * (unary, stream, stream, unary, …) of S seconds; medians over rounds.
 * Figures: calls/s, and the CPU time per call of the server process and of the
 * client process (µs), which the load of a shared machine hardly moves.
 * Ends with one JSON line: {"bench":"grpc","results":[{"concurrency":…,"unary":{…},
 * "stream":{…},"ratio_server_cpu_per_call_us":stream/unary,…}],…}.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { ECHO_GRPC_OPTIONS, ECHO_SERVICE } from './lib/grpc-echo.js';
import { finishBench, plainTable } from './lib/report.js';
import { median } from './lib/stats.js';

const REQUEST_BYTES = 300;
const CONCURRENCIES = [1, 64];
const STARTUP_MS_MAX = 20_000;

type Mode = 'unary' | 'stream';

interface Figures {
  readonly calls_per_s: number;
  readonly server_cpu_per_call_us: number;
  readonly client_cpu_per_call_us: number;
}

/** CPU time (user + system) of process `pid` so far, in µs (Linux /proc). */
function processCpuUs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime
  return (ticks * 1e6) / 100; // USER_HZ is 100 on Linux
}

async function startServer(): Promise<{ child: ChildProcess; port: number }> {
  const script = fileURLToPath(new URL('./lib/grpc-echo.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, 'serve'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`echo server did not start within ${STARTUP_MS_MAX} ms`)), STARTUP_MS_MAX);
    child.stdout!.on('data', (chunk: Buffer) => {
      const match = /listening (\d+)/.exec(chunk.toString());
      if (match === null) return;
      clearTimeout(timer);
      resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`echo server exited with ${code}`)));
  });
  return { child, port };
}

type EchoClient = grpc.Client & {
  unary(request: Buffer, callback: (err: grpc.ServiceError | null, answer: Buffer) => void): void;
  stream(): grpc.ClientDuplexStream<Buffer, Buffer>;
};

async function drive(client: EchoClient, mode: Mode, concurrency: number, seconds: number): Promise<number> {
  const payload = Buffer.alloc(REQUEST_BYTES, 7);
  const endMs = Date.now() + seconds * 1000;
  let calls = 0;
  if (mode === 'unary') {
    const once = () => new Promise<void>((resolve, reject) => client.unary(payload, (err) => (err ? reject(err) : resolve())));
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (Date.now() < endMs) {
        await once();
        calls++;
      }
    }));
    return calls;
  }
  const stream = client.stream();
  const waiting: (() => void)[] = []; // answers come back in order on one stream
  stream.on('data', () => waiting.shift()!());
  stream.on('error', (err) => {
    throw new Error(`echo stream failed: ${err.message}`);
  });
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (Date.now() < endMs) {
      await new Promise<void>((resolve) => {
        waiting.push(resolve);
        stream.write(payload);
      });
      calls++;
    }
  }));
  const finished = new Promise<void>((resolve) => stream.on('status', () => resolve()));
  stream.end();
  await finished; // the server ends its side once ours ended: nothing is left to fail later
  return calls;
}

async function measure(client: EchoClient, serverPid: number, mode: Mode, concurrency: number, seconds: number): Promise<Figures> {
  const server0 = processCpuUs(serverPid);
  const client0 = process.cpuUsage();
  const startedMs = performance.now();
  const calls = await drive(client, mode, concurrency, seconds);
  const elapsedS = (performance.now() - startedMs) / 1000;
  const clientCpu = process.cpuUsage(client0);
  return {
    calls_per_s: Math.round(calls / elapsedS),
    server_cpu_per_call_us: round1((processCpuUs(serverPid) - server0) / calls),
    client_cpu_per_call_us: round1((clientCpu.user + clientCpu.system) / calls),
  };
}

const round1 = (x: number): number => Math.round(x * 10) / 10;
const round3 = (x: number): number => Math.round(x * 1000) / 1000;

function medianFigures(rounds: readonly Figures[]): Figures {
  return {
    calls_per_s: median(rounds.map((r) => r.calls_per_s)),
    server_cpu_per_call_us: median(rounds.map((r) => r.server_cpu_per_call_us)),
    client_cpu_per_call_us: median(rounds.map((r) => r.client_cpu_per_call_us)),
  };
}

export async function run(args: string[]): Promise<void> {
  const options = { seconds: { type: 'string', default: '3' }, rounds: { type: 'string', default: '3' }, 'results-dir': { type: 'string' } } as const;
  const { values } = parseArgs({ args, options, strict: true });
  const seconds = Number(values.seconds);
  const rounds = Number(values.rounds);
  if (!(seconds > 0 && seconds <= 600)) throw new RangeError(`--seconds must be in (0, 600], got ${values.seconds}`);
  if (!(Number.isInteger(rounds) && rounds >= 1 && rounds <= 50)) throw new RangeError(`--rounds must be an integer in [1, 50], got ${values.rounds}`);
  const loadAtStart = loadavg()[0]!;
  const { child, port } = await startServer();
  const Ctor = grpc.makeGenericClientConstructor(ECHO_SERVICE, 'Echo');
  const client = new Ctor(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), ECHO_GRPC_OPTIONS) as unknown as EchoClient;
  const results: Record<string, unknown>[] = [];
  const rows: unknown[][] = [];
  try {
    await measure(client, child.pid!, 'unary', 16, 0.5); // warm up both paths
    await measure(client, child.pid!, 'stream', 16, 0.5);
    for (const concurrency of CONCURRENCIES) {
      const byMode: Record<Mode, Figures[]> = { unary: [], stream: [] };
      for (let round = 0; round < rounds; round++) {
        const order: Mode[] = round % 2 === 0 ? ['unary', 'stream'] : ['stream', 'unary'];
        for (const mode of order) byMode[mode].push(await measure(client, child.pid!, mode, concurrency, seconds));
      }
      const unary = medianFigures(byMode.unary);
      const stream = medianFigures(byMode.stream);
      results.push({
        concurrency,
        unary,
        stream,
        ratio_calls_per_s: round3(stream.calls_per_s / unary.calls_per_s),
        ratio_server_cpu_per_call_us: round3(stream.server_cpu_per_call_us / unary.server_cpu_per_call_us),
        ratio_client_cpu_per_call_us: round3(stream.client_cpu_per_call_us / unary.client_cpu_per_call_us),
      });
      for (const [mode, f] of [['unary', unary], ['stream', stream]] as const) {
        rows.push([concurrency, mode, f.calls_per_s, f.server_cpu_per_call_us, f.client_cpu_per_call_us]);
      }
    }
  } finally {
    client.close();
    child.kill();
  }
  console.log(
    plainTable(
      `grpc-js cost per call: unary vs a message on a bidi stream (${REQUEST_BYTES} B in, 32 B out), median of ${rounds} alternating round(s) of ${seconds} s`,
      ['in flight', 'path', 'calls/s', 'server CPU µs/call', 'client CPU µs/call'],
      rows,
    ),
  );
  finishBench({
    bench: 'grpc',
    resultsDir: values['results-dir'],
    result: {
      results,
      settings: { request_bytes: REQUEST_BYTES, seconds, rounds, node_version: process.version, load_average_1m_at_start: loadAtStart, load_average_1m_at_end: loadavg()[0]! },
    },
  });
}
